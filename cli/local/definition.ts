import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** statemachine/efi.asl.json: the one definition CDK deploys and the local runner executes. */
export const DEFINITION_PATH = fileURLToPath(new URL('../../statemachine/efi.asl.json', import.meta.url));

export type AslDefinition = {
  StartAt: string;
  States: Record<string, { Type: string; Resource?: string } & Record<string, unknown>>;
} & Record<string, unknown>;

export function loadDefinition(): AslDefinition {
  return JSON.parse(fs.readFileSync(DEFINITION_PATH, 'utf8')) as AslDefinition;
}

/**
 * Fills `${XFunctionArn}` placeholders with local Lambda ARNs (the handlers
 * are overridden by state name, so these ARNs are never called).
 */
export function substitutePlaceholders(def: AslDefinition): AslDefinition {
  const text = JSON.stringify(def).replace(/\$\{(\w+)FunctionArn\}/g, (_m, name: string) => {
    const fn = name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
    return `arn:aws:lambda:us-east-1:000000000000:function:efi-${fn}`;
  });
  return JSON.parse(text) as AslDefinition;
}
