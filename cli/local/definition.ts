import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { folderOfResource } from '../../statemachine/tasks.ts';

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
 * Fills the `${...FunctionArn}` placeholders of statemachine/tasks.ts with
 * local Lambda ARNs named after their function folder (the handlers are
 * overridden by state name, so these ARNs are never called).
 */
export function substitutePlaceholders(def: AslDefinition): AslDefinition {
  const text = JSON.stringify(def).replace(/\$\{(\w+)\}/g, (m, placeholder: string) => {
    const folder = folderOfResource(placeholder);
    if (!folder) throw new Error(`${m} in statemachine/efi.asl.json is not in statemachine/tasks.ts`);
    return `arn:aws:lambda:us-east-1:000000000000:function:efi-${folder}`;
  });
  return JSON.parse(text) as AslDefinition;
}
