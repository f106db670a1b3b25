/** A manifest repository behind the strict GitHub stand-in, and a client counting its requests, for promotion tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createGitHubClient, type GitHubClient, type GitHubRequestEvent } from '../../../src/lib/github/index.ts';
import { parseUpdates } from '../../../src/lib/manifest/index.ts';
import type { EvaluationReport } from '../../../src/lib/evaluation-report.ts';
import type { PromotionRequest } from '../../../src/lib/promotion-pr/index.ts';
import { tempDir } from '../../support/git-repos.ts';
import { createSeededBareRepository, GitStore, startGitHubStandIn, type GitHubStandIn, type RepoSettings, type TokenConfig } from '../../support/github-stand-in/index.ts';

export const REPO = 'acme/manifests';
export const TOKENS = {
  actions: 'ghs_promotionActionsToken00000000001',
  app: 'ghs_promotionAppTokenNoWorkflows00002',
  readOnly: 'ghs_promotionReadOnlyToken0000000003',
  prRead: 'ghs_promotionContentsOnlyToken000004',
  pat: 'ghp_promotionPersonalToken00000000005',
  /** pull-requests: write but issues: read: it may label a PR, not create a label. */
  noLabelCreation: 'ghs_promotionNoLabelCreationToken006',
};
export const TOKEN_CONFIGS: TokenConfig[] = [
  { token: TOKENS.actions, login: 'github-actions[bot]', permissions: { contents: 'write', 'pull-requests': 'write', issues: 'write' } },
  { token: TOKENS.app, login: 'promoter[bot]', permissions: { contents: 'write', 'pull-requests': 'write', issues: 'write' } },
  { token: TOKENS.readOnly, login: 'github-actions[bot]', permissions: { contents: 'read', 'pull-requests': 'read' } },
  { token: TOKENS.prRead, login: 'github-actions[bot]', permissions: { contents: 'write', 'pull-requests': 'read', issues: 'read' } },
  { token: TOKENS.pat, login: 'octocat' },
  { token: TOKENS.noLabelCreation, login: 'github-actions[bot]', permissions: { contents: 'write', 'pull-requests': 'write', issues: 'read' } },
];

export const VALUES = 'image:\n  repository: ghcr.io/acme/churn # the serving image\nmodel:\n  name: churn\n  version: "6" # promoted by ml-gitops\n';
export const SEED_FILES = {
  'envs/prod/values.yaml': VALUES,
  'envs/staging/values.yaml': VALUES,
  '.github/workflows/deploy.yml': 'on: push\nenv:\n  MODEL_VERSION: "6"\n',
  'README.md': '# manifests\n',
};

export const REPORT = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../fixtures/register-model/evaluation-report.json'), 'utf8')) as EvaluationReport;

export interface Fixture {
  readonly standIn: GitHubStandIn;
  readonly bare: string;
  readonly store: GitStore;
  readonly logs: string[];
  client(token?: string): { gh: GitHubClient; events: GitHubRequestEvent[] };
  tip(branch: string): Promise<string | undefined>;
  /** Commits files on top of a branch as a person would push them. */
  push(branch: string, files: Record<string, string>, message?: string): Promise<string>;
  file(ref: string, file: string): Promise<string | undefined>;
}

export async function startFixture(settings: Partial<RepoSettings> = {}): Promise<Fixture> {
  const bare = path.join(await tempDir('ml-gitops-promotion-'), 'manifests.git');
  await createSeededBareRepository(bare, { files: SEED_FILES });
  const standIn = await startGitHubStandIn({ repos: { [REPO]: { gitDir: bare, settings } }, tokens: TOKEN_CONFIGS });
  const store = new GitStore(bare);
  const logs: string[] = [];
  return {
    standIn,
    bare,
    store,
    logs,
    client(token = TOKENS.actions) {
      const events: GitHubRequestEvent[] = [];
      const gh = createGitHubClient({
        token,
        apiUrl: standIn.url,
        repository: { owner: 'acme', repo: 'manifests' },
        inputs: { token: 'token', repository: 'repository', base: 'base' },
        log: { info: (m) => void logs.push(m), warning: (m) => void logs.push(m), debug: (m) => void logs.push(m) },
        onRequest: (event) => void events.push(event),
        retryAfterUnitMs: 5,
        nodeLagDelaysMs: [5, 10],
      });
      return { gh, events };
    },
    tip: (branch) => store.branchHead(branch),
    async push(branch, files, message = 'Hand edit') {
      const parent = await store.branchHead(branch);
      const identity = { name: 'Alice Person', email: 'alice@example.test' };
      const oid = await store.commitChanges({ parent, additions: Object.entries(files).map(([p, c]) => ({ path: p, contents: Buffer.from(c) })), deletions: [], message, identity });
      if (!(await store.compareAndSwap(`refs/heads/${branch}`, oid, parent ?? '0000000000000000000000000000000000000000'))) throw new Error('push raced');
      return oid;
    },
    async file(ref, file) {
      const oid = await store.resolveRef(/^[0-9a-f]{40}$/.test(ref) ? ref : `refs/heads/${ref}`);
      if (oid === undefined) return undefined;
      return (await store.readFile(oid, file))?.toString('utf8');
    },
  };
}

export function promotion(overrides: Partial<PromotionRequest> & { lines?: string[] } = {}): { request: PromotionRequest; warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  const { lines = ['envs/prod/values.yaml:model.version=7'], ...rest } = overrides;
  const request: PromotionRequest = {
    modelName: 'churn',
    modelVersion: '7',
    environment: 'prod',
    base: 'main',
    change: { kind: 'updates', updates: parseUpdates(lines, 'updates'), createMissing: false },
    evaluation: REPORT,
    runUrl: 'https://github.com/acme/churn/actions/runs/41',
    inputs: { updates: 'updates', headBranch: 'head-branch', base: 'base', branch: 'branch', body: 'body', milestone: 'milestone', autoMerge: 'auto-merge', autoMergeFallback: 'auto-merge-fallback' },
    log: { info: (m) => void infos.push(m), warning: (m) => void warnings.push(m) },
    ...rest,
  };
  return { request, warnings, infos };
}
