/**
 * Requests per promotion-PR run: `open-promotion-pr` against the strict GitHub stand-in for the three cases a
 * promotion meets, created (first run), updated (a new version; labels already exist), unchanged (a rerun with the
 * same inputs), beside peter-evans/create-pull-request's counts for the same cases. One manifest file, one label, one
 * reviewer, signed commits on both sides.
 *
 * create-pull-request is not run here (it is a git-CLI action that needs a runner checkout); its counts are derived
 * from its source (v8, 2026-07) as recorded in the project's GitHub API reference, "cpr call counts": every run tries
 * `POST pulls` (422 when the PR exists), lists the open PRs on "already exists", always PATCHes title and body, then
 * one call each for labels and reviewers; a signed push is per commit one blob per file, one tree, one commit, then
 * GET branch and POST or PATCH the ref; unchanged pushes nothing.
 *
 * Standalone: `node_modules/.bin/node bench/promotion-pr.ts`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGitHubClient } from '../src/lib/github/index.ts';
import { parseUpdates } from '../src/lib/manifest/index.ts';
import { openPromotionPullRequest, type PromotionRequest } from '../src/lib/promotion-pr/index.ts';
import { markdownTable } from '../src/lib/report.ts';
import { removeTempDirs, tempDir } from '../test/support/git-repos.ts';
import { createSeededBareRepository, DEFAULT_TOKEN, startGitHubStandIn } from '../test/support/github-stand-in/index.ts';

export interface PromotionCounts {
  readonly total: number;
  readonly reads: number;
  readonly writes: number;
}

export interface PromotionBenchResult {
  readonly ours: Record<'created' | 'updated' | 'unchanged', PromotionCounts>;
  readonly table: string;
}

/** create-pull-request's REST calls for the same cases (sign-commits: true, one file, labels + reviewers), from its source. */
export const CPR_COUNTS = {
  // blob + tree + commit + GET branch + POST ref, POST pulls, POST labels, POST reviewers
  created: { total: 8, reads: 1, writes: 7 },
  // blob + tree + commit + GET branch + PATCH ref, POST pulls (422), GET pulls, PATCH pull, POST labels, POST reviewers
  updated: { total: 10, reads: 2, writes: 8 },
  // POST pulls (422), GET pulls, PATCH pull, POST labels, POST reviewers
  unchanged: { total: 5, reads: 1, writes: 4 },
} as const;

const VALUES = 'model:\n  name: churn\n  version: "6"\n';

export async function runPromotionBench(): Promise<PromotionBenchResult> {
  const bare = path.join(await tempDir('bench-promotion-'), 'manifests.git');
  await createSeededBareRepository(bare, { files: { 'envs/prod/values.yaml': VALUES } });
  const standIn = await startGitHubStandIn({ repos: { 'acme/manifests': bare } });
  try {
    // Steady state: the labels exist from earlier promotions (a first-ever run creates them: one request each).
    standIn.addLabel('acme/manifests', 'ml-gitops', '0e8a16');
    standIn.addLabel('acme/manifests', 'promotion', 'bfd4f2');
    const gh = createGitHubClient({ token: DEFAULT_TOKEN, apiUrl: standIn.url, repository: { owner: 'acme', repo: 'manifests' }, inputs: { token: 'token' } });
    const request = (version: string): PromotionRequest => ({
      modelName: 'churn',
      modelVersion: version,
      environment: 'prod',
      base: 'main',
      change: { kind: 'updates', updates: parseUpdates([`envs/prod/values.yaml:model.version=${version}`], 'updates'), createMissing: false },
      labels: ['promotion'],
      reviewers: ['alice'],
      inputs: { updates: 'updates', headBranch: 'head-branch', base: 'base', branch: 'branch', body: 'body', milestone: 'milestone', autoMerge: 'auto-merge', autoMergeFallback: 'auto-merge-fallback' },
      log: { info: () => undefined, warning: () => undefined },
    });
    const measure = async (version: string, expected: string): Promise<PromotionCounts> => {
      const since = standIn.requests.length;
      const outcome = await openPromotionPullRequest(gh, request(version));
      if (outcome.operation !== expected) throw new Error(`expected ${expected}, got ${outcome.operation}`);
      const counts = standIn.counts(since);
      return { total: counts.total, reads: counts.reads, writes: counts.writes };
    };
    const ours = {
      created: await measure('7', 'created'),
      updated: await measure('8', 'updated'),
      unchanged: await measure('8', 'unchanged'),
    };
    if (standIn.violations.length > 0) throw new Error(`the stand-in saw requests GitHub would refuse: ${JSON.stringify(standIn.violations)}`);
    const cell = (c: PromotionCounts) => `${c.total} (${c.reads} read, ${c.writes} write)`;
    const table = markdownTable(
      ['case', 'open-promotion-pr requests', 'create-pull-request requests (from its source)', 'ratio'],
      (['created', 'updated', 'unchanged'] as const).map((name) => [name, cell(ours[name]), cell(CPR_COUNTS[name]), `${(CPR_COUNTS[name].total / ours[name].total).toFixed(1)}×`]),
    );
    return { ours, table };
  } finally {
    await standIn.stop();
    await removeTempDirs();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log((await runPromotionBench()).table);
}
