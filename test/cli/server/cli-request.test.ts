import { describe, expect, it } from 'vitest';
import { HttpError, parseCliRequest } from '../../../cli/server/api.ts';

/** The status and message parseCliRequest refuses a body with. */
function refusal(text: string): { status: number; message: string } {
  try {
    parseCliRequest(text);
  } catch (e) {
    if (e instanceof HttpError) return { status: e.status, message: e.message };
    throw e;
  }
  throw new Error(`accepted ${text}`);
}

describe('POST /api/cli body', () => {
  it('accepts a command of the table with string arguments, tty false unless given', () => {
    expect(parseCliRequest('{"cmd":"runs","argv":["--limit","5"]}')).toEqual({
      cmd: 'runs',
      argv: ['--limit', '5'],
      tty: false,
    });
    expect(parseCliRequest('{"cmd":"show","argv":["r1"],"tty":true}').tty).toBe(true);
  });

  it('refuses a body that is not a JSON object, with a 400 saying so', () => {
    expect(refusal('{"cmd":')).toMatchObject({ status: 400, message: expect.stringMatching(/^body is not JSON/) });
    expect(refusal('["runs"]')).toEqual({ status: 400, message: 'body must be an object {"cmd", "argv", "tty"}' });
    expect(refusal('null').status).toBe(400);
  });

  it('refuses a command that is not in the table, the server itself and inherited names included', () => {
    for (const cmd of ['"server"', '"toString"', '"frob"', '5']) {
      const r = refusal(`{"cmd":${cmd},"argv":[]}`);
      expect(r.status).toBe(400);
      expect(r.message).toContain(`cmd ${cmd}: expected one of ingest, demo,`);
    }
    expect(refusal('{"argv":[]}').message).toMatch(/^cmd missing: expected one of/);
  });

  it('refuses arguments that are not all strings, and a tty that is not a boolean', () => {
    expect(refusal('{"cmd":"runs","argv":"--json"}')).toEqual({
      status: 400,
      message: 'argv: expected an array of strings',
    });
    expect(refusal('{"cmd":"runs","argv":["--limit",5]}').message).toBe('argv: expected an array of strings');
    expect(refusal('{"cmd":"runs","argv":[],"tty":"yes"}')).toEqual({
      status: 400,
      message: 'tty: expected true or false',
    });
  });
});
