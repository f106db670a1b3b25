import { describe, expect, it } from 'vitest';
import { parseIdentity } from '../../../src/lib/git.ts';
import { buildCommitMessage, checkTemplate, previousVersion, type Plan } from '../../../src/lib/manifest/index.ts';
import { backoffDelay } from '../../../src/lib/retry.ts';
import { runFacts } from '../../../src/lib/run-facts.ts';

function plan(edits: Array<{ file: string; selector: string; previous: string | null; value: string }>): Plan {
  const files = [...new Set(edits.map((edit) => edit.file))].map((file) => ({
    relativePath: file,
    realPath: `/repo/${file}`,
    root: '/repo',
    mode: 0o644,
    before: '',
    after: 'x',
    changed: true,
    edits: edits
      .filter((edit) => edit.file === file)
      .map((edit) => ({ selector: edit.selector, previous: edit.previous, value: edit.value, changed: edit.previous !== edit.value, line: 1, lineNumber: 1 })),
  }));
  return { files, changed: true };
}

const facts = { modelName: 'churn', modelVersion: '13', environment: 'production', workflowRun: undefined };

describe('commit message', () => {
  const twoFiles = plan([
    { file: 'values.yaml', selector: 'model.version', previous: '12', value: '13' },
    { file: 'kustomization.yaml', selector: 'images[name=x].newTag', previous: 'v1.4.0', value: 'v1.5.0' },
  ]);

  it('defaults to a subject naming model, version and environment, and lists the changes', () => {
    expect(buildCommitMessage(twoFiles, undefined, facts)).toBe(
      [
        'Bump churn to 13 in production',
        '',
        '- values.yaml: model.version 12 -> 13',
        '- kustomization.yaml: images[name=x].newTag v1.4.0 -> v1.5.0',
        '',
        'Model-Name: churn',
        'Model-Version: 13',
        'Previous-Version: 12',
        'Environment: production',
        'Manifest-Update: values.yaml:model.version=13',
        'Manifest-Update: kustomization.yaml:images[name=x].newTag=v1.5.0',
        '',
      ].join('\n'),
    );
  });

  it('names the file when no model is given and leaves out unknown trailers', () => {
    const message = buildCommitMessage(plan([{ file: 'values.yaml', selector: 'a', previous: '1', value: '2' }]), undefined, {
      modelName: undefined,
      modelVersion: undefined,
      environment: undefined,
      workflowRun: 'https://github.com/a/b/actions/runs/1',
    });
    expect(message).toBe('Bump values.yaml\n\n- values.yaml: a 1 -> 2\n\nPrevious-Version: 1\nManifest-Update: values.yaml:a=2\nWorkflow-Run: https://github.com/a/b/actions/runs/1\n');
  });

  it('fills the template placeholders', () => {
    expect(buildCommitMessage(twoFiles, 'chore({environment}): {model} {previous} -> {version} [{files}]', facts).split('\n')[0]).toBe(
      'chore(production): churn 12 -> 13 [values.yaml, kustomization.yaml]',
    );
    expect(() => checkTemplate('Bump {model} {versoin}', 'commit-message')).toThrow(/unknown placeholder \{versoin\} \(did you mean "version"\?\)/);
    expect(() => checkTemplate('Bump {model} to {version}', 'commit-message')).not.toThrow();
  });

  it('derives the previous version from the edits that set the model version', () => {
    expect(previousVersion(twoFiles, '13')).toBe('12');
    expect(previousVersion(twoFiles, undefined)).toBe('12, v1.4.0');
    expect(previousVersion(plan([{ file: 'a.yaml', selector: 'x', previous: null, value: '13' }]), '13')).toBeUndefined();
  });
});

describe('inputs', () => {
  it('parses the author', () => {
    expect(parseIdentity('github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>', 'author')).toEqual({
      name: 'github-actions[bot]',
      email: '41898282+github-actions[bot]@users.noreply.github.com',
    });
    expect(() => parseIdentity('just a name', 'author')).toThrow(/Name <email>/);
    expect(() => parseIdentity('<a@b.c>', 'author')).toThrow(/Name <email>/);
  });

  it('builds the workflow run URL only in Actions', () => {
    expect(runFacts({}).runUrl).toBeUndefined();
    expect(runFacts({ GITHUB_SERVER_URL: 'https://github.com/', GITHUB_REPOSITORY: 'a/b', GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '2' }).runUrl).toBe(
      'https://github.com/a/b/actions/runs/7/attempts/2',
    );
    expect(runFacts({ GITHUB_REPOSITORY: 'a/b', GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '1' }).runUrl).toBe('https://github.com/a/b/actions/runs/7');
  });

  it('takes the commit from GitHub Actions or another CI system', () => {
    expect(runFacts({ GITHUB_SHA: 'abc' }).commit).toBe('abc');
    expect(runFacts({ CI_COMMIT_SHA: 'def' }).commit).toBe('def');
    expect(runFacts({}).commit).toBeUndefined();
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter and is capped', () => {
    const backoff = { initialMs: 100, factor: 2, maxMs: 1000, jitter: 'equal' as const };
    expect(backoffDelay(backoff, 0, () => 0)).toBe(50);
    expect(backoffDelay(backoff, 0, () => 1)).toBe(100);
    expect(backoffDelay(backoff, 2, () => 1)).toBe(400);
    expect(backoffDelay(backoff, 9, () => 1)).toBe(1000);
    expect(backoffDelay(backoff, 9, () => 0)).toBe(500);
  });
});
