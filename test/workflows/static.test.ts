/**
 * What a local runner (nektos/act) ignores is checked here by reading the YAML: least-privilege `permissions:` on every
 * workflow and job, `environment:` on the jobs that deploy, `concurrency:` groups per model and environment that never
 * cancel a running promotion or rollback, third-party actions pinned by commit SHA, and no `${{ }}` inside `run:`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
const files = ['.github/workflows', 'workflows-examples'].flatMap((dir) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((file) => file.endsWith('.yml'))
    .map((file) => path.join(dir, file)),
);

interface Step {
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  permissions?: Record<string, string> | string;
  environment?: unknown;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  steps?: Step[];
  uses?: string;
}
interface Workflow {
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  jobs: Record<string, Job>;
}

const load = (file: string): Workflow => parse(fs.readFileSync(path.join(root, file), 'utf8')) as Workflow;
const WRITE_ALLOWED: Record<string, string[]> = { '.github/workflows/release.yml': ['contents'] };

describe('workflows, as act cannot check them', () => {
  it.each(files)('%s declares least-privilege permissions on the workflow and on every job', (file) => {
    const workflow = load(file);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job.permissions, `${file} job ${name}`).toBeDefined();
      const writes = Object.entries(typeof job.permissions === 'object' ? job.permissions : {})
        .filter(([, level]) => level === 'write')
        .map(([scope]) => scope);
      expect(writes, `${file} job ${name} writes`).toEqual(writes.filter((scope) => (WRITE_ALLOWED[file] ?? []).includes(scope)));
    }
  });

  it.each(files)('%s pins third-party actions by commit SHA and keeps expressions out of run:', (file) => {
    for (const job of Object.values(load(file).jobs)) {
      for (const step of job.steps ?? []) {
        if (step.uses !== undefined && !step.uses.startsWith('./') && !step.uses.startsWith('<owner>/ml-gitops/')) {
          expect(step.uses, file).toMatch(/@[0-9a-f]{40}$/);
        }
        if (step.run !== undefined) expect(step.run, `${file}: pass values through env:`).not.toContain('${{');
      }
    }
  });

  it('binds deployments to their GitHub Environment and serialises them per model and environment', () => {
    const promote = load('.github/workflows/promote.yml').jobs.promote as Job;
    expect(promote.environment).toBe('${{ inputs.environment }}');
    expect(promote.concurrency).toEqual({ group: 'ml-gitops-promote-${{ inputs.model-name }}-${{ inputs.environment }}', 'cancel-in-progress': false });
    const rollback = load('.github/workflows/rollback.yml');
    expect(rollback.jobs.rollback?.environment).toBe('${{ inputs.environment }}');
    expect(rollback.concurrency).toEqual({ group: 'ml-gitops-rollback-${{ inputs.model-name }}-${{ inputs.environment }}', 'cancel-in-progress': false });
  });

  it('offers the rollback PR mode: the PR is opened with MANIFESTS_TOKEN (GITHUB_TOKEN stays read-only), its URL is an output', () => {
    type Dispatch = { on: { workflow_dispatch: { inputs: Record<string, { type: string; options?: string[]; default?: string }> } } };
    const rollback = load('.github/workflows/rollback.yml') as Workflow & Dispatch & { on: { workflow_call: { inputs: Record<string, { default?: string }>; outputs: Record<string, { value: string }> } } };
    for (const [file, workflow] of [['.github/workflows/rollback.yml', rollback], ['workflows-examples/manual-rollback.yml', load('workflows-examples/manual-rollback.yml') as Workflow & Dispatch]] as const) {
      expect(workflow.on.workflow_dispatch.inputs.mode, file).toMatchObject({ type: 'choice', options: ['push', 'pull-request'], default: 'push' });
    }
    expect(rollback.on.workflow_call.inputs.mode?.default).toBe('push');
    expect(rollback.on.workflow_call.outputs['pull-request-url']?.value).toBe('${{ jobs.rollback.outputs.pull-request-url }}');
    const job = rollback.jobs.rollback as Job & { outputs: Record<string, string> };
    expect(job.outputs['pull-request-url']).toBe('${{ steps.rollback.outputs.pull-request-url }}');
    const step = job.steps?.find((candidate) => candidate.id === 'rollback');
    expect(step?.with).toMatchObject({ mode: '${{ inputs.mode }}', token: '${{ secrets.MANIFESTS_TOKEN }}' });
    // A rollback PR has no commit on the branch yet for Argo CD to run.
    const wait = job.steps?.find((candidate) => candidate.uses?.includes('/wait-for-argo-sync@'));
    expect(wait?.if).toContain("steps.rollback.outputs.operation != 'pull-request'");
  });

  it('rolls back automatically when the deployment fails', () => {
    const rollback = load('.github/workflows/promote.yml').jobs.rollback as Job & { if?: string; with?: Record<string, string> };
    expect(rollback.uses).toBe('<owner>/ml-gitops/.github/workflows/rollback.yml@v1');
    expect(rollback.if).toContain("needs.promote.outputs.result == 'failed'");
    expect(rollback.with?.reason).toBe('${{ needs.promote.outputs.failure }}');
  });
});

describe('the example analysis', () => {
  it('is valid against the analysis schema and bakes for 10 minutes', async () => {
    const { loadAnalysis } = await import('../../src/lib/analysis/index.ts');
    const { analysis } = loadAnalysis('workflows-examples/bake.analysis.yaml', root);
    expect(analysis.count).toBe(20);
    expect(analysis.metrics.map((metric) => metric.name)).toEqual(['accuracy', 'p95-latency-seconds', 'error-rate']);
  });
});
