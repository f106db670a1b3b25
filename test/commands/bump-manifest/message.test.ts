import { describe, expect, it } from 'vitest';
import { buildCommitMessage, checkTemplate, parseAuthor, previousVersion, workflowRunUrl } from '../../../src/commands/bump-manifest/message.ts';
import type { Plan } from '../../../src/commands/bump-manifest/plan.ts';
import { backoffDelay } from '../../../src/commands/bump-manifest/publish.ts';

function plan(edits: Array<{ file: string; selector: string; previous: string | null; value: string }>): Plan {
  const files = [...new Set(edits.map((edit) => edit.file))].map((file) => ({
    relativePath: file,
    realPath: `/repo/${file}`,
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
    expect(message).toBe('Bump values.yaml\n\n- values.yaml: a 1 -> 2\n\nPrevious-Version: 1\nWorkflow-Run: https://github.com/a/b/actions/runs/1\n');
  });

  it('fills the template placeholders', () => {
    expect(buildCommitMessage(twoFiles, 'chore({environment}): {model} {previous} -> {version} [{files}]', facts).split('\n')[0]).toBe(
      'chore(production): churn 12 -> 13 [values.yaml, kustomization.yaml]',
    );
    expect(() => checkTemplate('Bump {model} {versoin}')).toThrow(/unknown placeholder \{versoin\} \(did you mean "version"\?\)/);
    expect(() => checkTemplate('Bump {model} to {version}')).not.toThrow();
  });

  it('derives the previous version from the edits that set the model version', () => {
    expect(previousVersion(twoFiles, '13')).toBe('12');
    expect(previousVersion(twoFiles, undefined)).toBe('12, v1.4.0');
    expect(previousVersion(plan([{ file: 'a.yaml', selector: 'x', previous: null, value: '13' }]), '13')).toBeUndefined();
  });
});

describe('inputs', () => {
  it('parses the author', () => {
    expect(parseAuthor('github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>')).toEqual({
      name: 'github-actions[bot]',
      email: '41898282+github-actions[bot]@users.noreply.github.com',
    });
    expect(() => parseAuthor('just a name')).toThrow(/Name <email>/);
    expect(() => parseAuthor('<a@b.c>')).toThrow(/Name <email>/);
  });

  it('builds the workflow run URL only in Actions', () => {
    expect(workflowRunUrl({})).toBeUndefined();
    expect(workflowRunUrl({ GITHUB_SERVER_URL: 'https://github.com/', GITHUB_REPOSITORY: 'a/b', GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '2' })).toBe(
      'https://github.com/a/b/actions/runs/7/attempts/2',
    );
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter and is capped', () => {
    const backoff = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(1, backoff, () => 0)).toBe(50);
    expect(backoffDelay(1, backoff, () => 1)).toBe(100);
    expect(backoffDelay(3, backoff, () => 1)).toBe(400);
    expect(backoffDelay(10, backoff, () => 1)).toBe(1000);
    expect(backoffDelay(10, backoff, () => 0)).toBe(500);
  });
});
