// Placeholder: replaced by the thin handler for this state.
export const handler = async (_event: unknown): Promise<unknown> => {
  throw new Error('not implemented yet');
};
