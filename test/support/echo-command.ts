/** A tiny command exercising every input kind, for the adapter tests. */
import { choice, defineCommand, flag, lines, list, number, secret, text } from '../../src/lib/command.ts';
import { UserError } from '../../src/lib/errors.ts';

export const echoCommand = defineCommand({
  name: 'echo',
  description: 'Echoes its inputs. Used by the adapter tests.',
  inputs: {
    message: text({ description: 'What to echo.', required: true }),
    'repeat-count': number({ description: 'How often.', default: '1', integer: true, min: 1, max: 5 }),
    loud: flag({ description: 'Upper-case it.', default: 'false' }),
    mode: choice(['plain', 'json'] as const, { description: 'Output mode.', default: 'plain' }),
    items: lines({ description: 'Extra items, one per line.' }),
    token: secret({ description: 'A credential that must never be printed.', env: ['ECHO_TOKEN'] }),
    labels: list({ description: 'Labels, comma- or newline-separated.' }),
    'exclusive-a': text({ description: 'Cannot go with exclusive-b.' }),
    'exclusive-b': text({ description: 'Cannot go with exclusive-a.' }),
    'fail-at': text({ description: 'Fail with a user error naming this file.' }),
    crash: flag({ description: 'Throw an unexpected error.', default: 'false' }),
    refuse: flag({ description: 'Complete, then fail the step with outputs (like a rejected candidate).', default: 'false' }),
  },
  rules: [{ kind: 'exclusive', inputs: ['exclusive-a', 'exclusive-b'] }],
  outputs: {
    echoed: { description: 'The message, repeated.' },
    items: { description: 'The items, as JSON.' },
  },
  async run(inputs, context) {
    if (inputs.token !== undefined) context.log.info(`using token ${inputs.token}`);
    if (inputs.crash) throw new TypeError('boom');
    if (inputs.failAt !== undefined) {
      throw new UserError(`The file ${inputs.failAt} has a bad value on line 3; fix it and run again.`, {
        location: { file: inputs.failAt, line: 3, column: 7 },
      });
    }
    if (inputs.refuse) {
      throw new UserError('The echo was refused by policy.', { outputs: { echoed: 'refused', items: [] } });
    }
    const word = inputs.loud ? inputs.message.toUpperCase() : inputs.message;
    context.summary(`## Echo\n\n${word}`);
    return { echoed: Array.from({ length: inputs.repeatCount }, () => word).join(' '), items: inputs.items ?? [] };
  },
});
