import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitClient } from '../../src/lib/git.ts';
import {
  defaultRollbackTarget,
  formatUpdate,
  parseTrailers,
  parseUpdate,
  promotionHistory,
  promotionOf,
  readLedger,
  withLedgerTrailers,
  type LedgerRecord,
} from '../../src/lib/ledger.ts';
import { cloneRemote, createRemote, git, isolatedGitEnv, removeTempDirs } from '../support/git-repos.ts';

afterAll(removeTempDirs);

const BOT = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };

async function setup() {
  const remote = await createRemote({ 'values.yaml': 'model:\n  version: 10\n' });
  const clone = await cloneRemote(remote, 'clone');
  const client = new GitClient({ cwd: clone, env: isolatedGitEnv(remote.home), identity: BOT });
  let counter = 0;
  const commit = async (message: string): Promise<string> => {
    counter++;
    await fs.writeFile(path.join(clone, 'values.yaml'), `model:\n  version: ${counter}\n`);
    return client.commit(message, ['values.yaml']);
  };
  return { clone, client, commit };
}

const promotion = (version: string, previous: string): LedgerRecord => ({
  modelName: 'churn',
  modelVersion: version,
  previousVersion: previous,
  environment: 'production',
  updates: [{ file: 'values.yaml', selector: 'model.version', value: version }],
});

describe('the ledger', () => {
  it('writes trailers as the last paragraph that git reads back, one line each', async () => {
    const { clone, client, commit } = await setup();
    const message = withLedgerTrailers('Bump churn to 13\n\n- values.yaml: model.version 12 -> 13', {
      modelName: 'churn',
      modelVersion: '13',
      previousVersion: '12',
      environment: 'production\nevil: x',
      updates: [{ file: 'values.yaml', selector: 'images[name=a=b].tag', value: 'v13 "quoted"\nnext' }],
      workflowRun: undefined,
    });
    const sha = await commit(message);
    expect(await git(clone, ['log', '-1', '--format=%(trailers)'])).toBe(
      [
        'Model-Name: churn',
        'Model-Version: 13',
        'Previous-Version: 12',
        'Environment: production evil: x',
        'Manifest-Update: values.yaml:images[name=a=b].tag="v13 \\"quoted\\"\\nnext"',
      ].join('\n'),
    );
    const [entry] = await readLedger(client);
    expect(entry).toMatchObject({ sha, subject: 'Bump churn to 13', kind: 'promotion', modelVersion: '13', previousVersion: '12' });
    expect(entry?.updates).toEqual([{ file: 'values.yaml', selector: 'images[name=a=b].tag', value: 'v13 "quoted"\nnext' }]);
  });

  it('reads commits written before Manifest-Update existed, and skips commits that are not ledger entries', async () => {
    const { client, commit } = await setup();
    await commit('Bump churn to 11\n\nModel-Name: churn\nModel-Version: 11\nEnvironment: production\n');
    await commit('Unrelated change\n');
    const entries = await readLedger(client);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ modelVersion: '11', updates: [], kind: 'promotion' });
  });

  it('filters by model and environment and finds where a rollback goes', async () => {
    const { client, commit } = await setup();
    await commit(withLedgerTrailers('Bump churn to 11', promotion('11', '10')));
    await commit(withLedgerTrailers('Bump churn to 12', promotion('12', '11')));
    await commit(withLedgerTrailers('Bump other to 3', { ...promotion('3', '2'), modelName: 'other' }));
    await commit(withLedgerTrailers('Bump churn to 13 in staging', { ...promotion('13', '12'), environment: 'staging' }));
    await commit(withLedgerTrailers('Bump churn to 13', promotion('13', '12')));
    let history = promotionHistory(await readLedger(client, { modelName: 'churn', environment: 'production' }));
    expect(history.entries.map((entry) => entry.modelVersion)).toEqual(['13', '12', '11']);
    expect(defaultRollbackTarget(history)?.modelVersion).toBe('12');

    // A rollback is an entry too; the next rollback goes further back instead of returning to the bad version.
    await commit(withLedgerTrailers('Roll back churn from 13 to 12', { ...promotion('12', '13'), rollbackOf: '13', reason: 'accuracy fell to 0.62' }));
    history = promotionHistory(await readLedger(client, { modelName: 'churn', environment: 'production' }));
    expect(history.current).toMatchObject({ kind: 'rollback', modelVersion: '12', rollbackOf: '13', reason: 'accuracy fell to 0.62' });
    expect([...history.rolledBack]).toEqual(['13']);
    expect(defaultRollbackTarget(history)?.modelVersion).toBe('11');
    expect(promotionOf(history, '11')?.updates).toEqual([{ file: 'values.yaml', selector: 'model.version', value: '11' }]);
  });

  it('formats and parses update trailers', () => {
    for (const update of [
      { file: 'a.yaml', selector: 'x.y', value: '13' },
      { file: 'k.yaml', selector: 'images[name=ghcr.io/a].newTag', value: 'v1.5.0' },
      { file: 'c.yaml', selector: 'literals[1]', value: 'MODEL_VERSION=13' },
      { file: 'd.yaml', selector: 'x', value: '' },
      { file: 'e.yaml', selector: 'x', value: ' padded "q" ' },
    ]) {
      expect(parseUpdate(formatUpdate(update))).toEqual(update);
    }
    expect(parseUpdate('no-colon')).toBeUndefined();
    expect(parseTrailers('A: 1\nB-C: two words\nA: 3\nnot a trailer\n')).toEqual({ A: ['1', '3'], 'B-C': ['two words'] });
  });
});
