/**
 * The behaviour REST and GraphQL share: permissions, pull request facts read from git (head, mergeability, merge
 * state), creating and merging pull requests, the workflow-file and protected-branch refusals. Failures are
 * `DomainError`s carrying both GitHub renderings: the REST status (and validation errors) and the GraphQL error type.
 */
import { ZERO_OID, type FileAddition } from './git-store.ts';
import type { Access, MergeMethod, Permission, PullState, RepoState, StandInState, TokenState } from './state.ts';

export interface ValidationItem {
  resource: string;
  code: string;
  field?: string;
  message?: string;
}

export class DomainError extends Error {
  readonly status: number;
  /** GraphQL error type: FORBIDDEN, NOT_FOUND, STALE_DATA, UNPROCESSABLE ... */
  readonly type: string;
  readonly validation: ValidationItem[] | undefined;
  /** REST `errors` sent beside `message` as they are (GitHub sends plain strings in some of them). */
  readonly errors: unknown[] | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, type: string, message: string, options: { validation?: ValidationItem[]; errors?: unknown[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.validation = options.validation;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

const INTEGRATION_DEFAULTS: Partial<Record<Permission, Access>> = { metadata: 'read', contents: 'read', 'pull-requests': 'read', issues: 'read' };
const RANK: Record<Access, number> = { none: 0, read: 1, write: 2 };

export function access(token: TokenState, permission: Permission): Access {
  if (token.permissions === undefined) return 'write';
  return token.permissions[permission] ?? INTEGRATION_DEFAULTS[permission] ?? 'none';
}

/**
 * Refuses like GitHub when the token has none of `alternatives` at `level` (the issues endpoints of a pull request
 * take either `issues` or `pull-requests`). GitHub names what was needed in `X-Accepted-GitHub-Permissions`.
 */
export function requirePermission(token: TokenState, level: Access, ...alternatives: Permission[]): void {
  if (alternatives.some((permission) => RANK[access(token, permission)] >= RANK[level])) return;
  const accepted = alternatives.map((permission) => `${permission.replace('-', '_')}=${level}`).join('; ');
  throw new DomainError(403, 'FORBIDDEN', 'Resource not accessible by integration', { headers: { 'x-accepted-github-permissions': accepted } });
}

/**
 * Creating a label, explicitly (POST /labels) or by adding a label the repository lacks, takes `issues: write` from an
 * App token (GITHUB_TOKEN included); a personal access token with `repo` may. GitHub refuses with 403.
 */
export function refuseLabelCreation(token: TokenState): void {
  if (token.permissions === undefined || access(token, 'issues') === 'write') return;
  throw new DomainError(403, 'FORBIDDEN', 'You do not have permission to create labels on this repository.', {
    errors: [{ resource: 'Repository', field: 'label', code: 'unauthorized' }],
  });
}

/**
 * Team reviewers are organisation data: the workflow's GITHUB_TOKEN has no organisation permission at all, and an App
 * token needs "Members: read". Without it GitHub cannot load the team and answers as for an unknown node.
 */
export function refuseTeamLookup(token: TokenState, repo: RepoState, slug: string): void {
  if (token.permissions !== undefined && (token.isActions || access(token, 'members') === 'none')) {
    const id = `T_kwDO${Buffer.from(`standin-team:${repo.owner}/${slug}`).toString('base64url')}`;
    throw new DomainError(422, 'UNPROCESSABLE', 'Validation Failed', { errors: [`Could not resolve to a node with the global id of '${id}'.`] });
  }
}

export async function headSha(repo: RepoState, pull: PullState): Promise<string> {
  return (await repo.git.branchHead(pull.head)) ?? pull.headShaWhenGone ?? ZERO_OID;
}

export interface PullFactsFull {
  readonly headSha: string;
  readonly baseSha: string;
  readonly mergeStateStatus: string;
  readonly mergeable: 'MERGEABLE' | 'CONFLICTING' | 'UNKNOWN';
  readonly commits: number;
  readonly changedFiles: number;
}

export async function pullFacts(repo: RepoState, pull: PullState): Promise<PullFactsFull> {
  const head = await headSha(repo, pull);
  const base = (await repo.git.branchHead(pull.base)) ?? ZERO_OID;
  const headKnown = head !== ZERO_OID && (await repo.git.commitExists(head));
  const baseKnown = base !== ZERO_OID;
  let commits = 0;
  let changedFiles = 0;
  let conflicting = false;
  if (headKnown && baseKnown) {
    commits = (await repo.git.commitsBetween(base, head)).length;
    const mergeBase = await repo.git.mergeBase(base, head);
    changedFiles = (await repo.git.changedPaths(mergeBase, head)).length;
    if (pull.state === 'open') conflicting = (await repo.git.mergeTree(base, head)) === undefined;
  }
  return {
    headSha: head,
    baseSha: base,
    mergeStateStatus: mergeStateStatus(repo, pull, conflicting),
    mergeable: pull.state !== 'open' ? 'UNKNOWN' : conflicting ? 'CONFLICTING' : 'MERGEABLE',
    commits,
    changedFiles,
  };
}

function mergeStateStatus(repo: RepoState, pull: PullState, conflicting: boolean): string {
  if (pull.mergeStateOverride !== null) return pull.mergeStateOverride;
  if (pull.state !== 'open') return 'UNKNOWN';
  if (pull.draft) return 'DRAFT';
  if (conflicting) return 'DIRTY';
  const approvalsNeeded = repo.settings.requiredApprovals[pull.base] ?? 0;
  if (approvals(pull) < approvalsNeeded) return 'BLOCKED';
  if ((repo.settings.requiredChecks[pull.base] ?? []).length > 0) return 'BLOCKED';
  return 'CLEAN';
}

/** Approvals that still count: each reviewer's latest review, when it approves. */
function approvals(pull: PullState): number {
  const latest = new Map<string, string>();
  for (const review of pull.reviews) if (review.state !== 'COMMENTED' && review.state !== 'PENDING') latest.set(review.user.toLowerCase(), review.state);
  return [...latest.values()].filter((state) => state === 'APPROVED').length;
}

export function refuseProtected(repo: RepoState, branch: string): void {
  if (repo.settings.protectedBranches.includes(branch)) {
    throw new DomainError(422, 'UNPROCESSABLE', `Protected branch update failed for refs/heads/${branch}.`);
  }
}

/** GitHub refuses an App (GITHUB_TOKEN included) a change to a workflow file unless it has `workflows: write`. */
export function refuseWorkflowChange(token: TokenState, paths: readonly string[]): void {
  if (token.permissions === undefined || access(token, 'workflows') === 'write') return;
  const workflow = paths.find((p) => p.startsWith('.github/workflows/'));
  if (workflow !== undefined) {
    throw new DomainError(403, 'FORBIDDEN', `refusing to allow a GitHub App to create or update workflow \`${workflow}\` without \`workflows\` permission`);
  }
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isStrictBase64(value: string): boolean {
  return STRICT_BASE64.test(value);
}

/** createCommitOnBranch's semantics: one commit on the branch tip, optimistic lock on `expectedHeadOid`. */
export async function commitOnBranch(
  state: StandInState,
  repo: RepoState,
  token: TokenState,
  input: {
    branch: string;
    expectedHeadOid: string;
    headline: string;
    body: string | undefined;
    additions: readonly { path: string; contents: string }[];
    deletions: readonly { path: string }[];
  },
): Promise<string> {
  requirePermission(token, 'write', 'contents');
  const tip = await repo.git.branchHead(input.branch);
  if (tip === undefined) throw new DomainError(404, 'NOT_FOUND', `Could not resolve to a ref named 'refs/heads/${input.branch}'.`);
  const paths = [...input.additions.map((a) => a.path), ...input.deletions.map((d) => d.path)];
  if (new Set(paths).size !== paths.length) throw new DomainError(422, 'UNPROCESSABLE', 'A path was given more than once in the file changes.');
  for (const p of paths) {
    if (p === '' || p.startsWith('/') || p.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new DomainError(422, 'UNPROCESSABLE', `The path \`${p}\` is not a valid file path.`);
    }
  }
  refuseWorkflowChange(token, paths);
  refuseProtected(repo, input.branch);
  if (tip !== input.expectedHeadOid) {
    throw new DomainError(409, 'STALE_DATA', `Expected branch to point to "${input.expectedHeadOid}" but it did not.  Pull and try again.`);
  }
  for (const deletion of input.deletions) {
    if ((await repo.git.readFile(tip, deletion.path)) === undefined) {
      throw new DomainError(422, 'UNPROCESSABLE', `A path was requested for deletion which does not exist as of commit oid \`${tip}\``);
    }
  }
  const additions: FileAddition[] = input.additions.map((a) => ({ path: a.path, contents: Buffer.from(a.contents, 'base64') }));
  const message = input.body === undefined || input.body === '' ? input.headline : `${input.headline}\n\n${input.body}`;
  const oid = await repo.git.commitChanges({ parent: tip, additions, deletions: input.deletions.map((d) => d.path), message, identity: state.identity(token) });
  // The swap is the lock: a writer that moved the branch since our read wins, we report STALE_DATA.
  if (!(await repo.git.compareAndSwap(`refs/heads/${input.branch}`, oid, tip))) {
    throw new DomainError(409, 'STALE_DATA', `Expected branch to point to "${input.expectedHeadOid}" but it did not.  Pull and try again.`);
  }
  verifiedCommits.add(oid);
  return oid;
}

/** Commits GitHub signed (createCommitOnBranch, merges): shown as verified. */
export const verifiedCommits = new Set<string>();

export async function mergePull(
  state: StandInState,
  repo: RepoState,
  pull: PullState,
  token: TokenState,
  options: { method: MergeMethod; expectedHeadSha?: string | undefined; title?: string | undefined; message?: string | undefined; viaQueue?: boolean },
): Promise<string> {
  requirePermission(token, 'write', 'contents');
  if (pull.state !== 'open') throw new DomainError(405, 'UNPROCESSABLE', 'Pull Request is not mergeable');
  if (!options.viaQueue && repo.settings.mergeQueueBranches.includes(pull.base)) {
    throw new DomainError(405, 'UNPROCESSABLE', 'Changes must be made through the merge queue');
  }
  const allowed = { MERGE: repo.settings.allowMergeCommit, SQUASH: repo.settings.allowSquashMerge, REBASE: repo.settings.allowRebaseMerge }[options.method];
  if (!allowed) throw new DomainError(405, 'UNPROCESSABLE', `${options.method.toLowerCase()} merges are not allowed on this repository.`);
  const facts = await pullFacts(repo, pull);
  if (options.expectedHeadSha !== undefined && options.expectedHeadSha !== facts.headSha) {
    throw new DomainError(409, 'UNPROCESSABLE', 'Head branch was modified. Review and try the merge again.');
  }
  if (facts.mergeStateStatus === 'DIRTY' || facts.mergeStateStatus === 'DRAFT') throw new DomainError(405, 'UNPROCESSABLE', 'Pull Request is not mergeable');
  if (facts.mergeStateStatus === 'BLOCKED' && !options.viaQueue) {
    const needed = repo.settings.requiredApprovals[pull.base] ?? 0;
    throw new DomainError(405, 'UNPROCESSABLE', needed > 0 ? `At least ${needed} approving review is required by reviewers with write access.` : 'Required status checks have not succeeded.');
  }
  const tree = await repo.git.mergeTree(facts.baseSha, facts.headSha);
  if (tree === undefined) throw new DomainError(405, 'UNPROCESSABLE', 'Pull Request is not mergeable');
  const identity = { name: 'GitHub', email: 'noreply@github.com' };
  let sha: string;
  if (options.method === 'MERGE') {
    const message = `${options.title ?? `Merge pull request #${pull.number} from ${repo.owner}/${pull.head}`}\n\n${options.message ?? pull.title}`;
    sha = await repo.git.commitTree(tree, [facts.baseSha, facts.headSha], message, identity);
  } else {
    // Squash, and rebase too (the stand-in replays the whole change as one commit).
    const message = `${options.title ?? `${pull.title} (#${pull.number})`}\n\n${options.message ?? pull.body ?? ''}`.trimEnd();
    sha = await repo.git.commitTree(tree, [facts.baseSha], message, identity);
  }
  if (!(await repo.git.compareAndSwap(`refs/heads/${pull.base}`, sha, facts.baseSha))) {
    throw new DomainError(409, 'UNPROCESSABLE', 'Base branch was modified. Review and try the merge again.');
  }
  verifiedCommits.add(sha);
  const now = new Date().toISOString();
  Object.assign(pull, {
    state: 'closed',
    merged: true,
    mergedAt: now,
    mergedBy: token.login,
    closedAt: now,
    updatedAt: now,
    mergeCommitSha: sha,
    headShaWhenGone: facts.headSha,
    autoMerge: null,
    inMergeQueue: false,
  });
  if (repo.settings.deleteBranchOnMerge) await repo.git.deleteRef(`refs/heads/${pull.head}`, facts.headSha);
  void state;
  return sha;
}

/** The node lag of a just-created PR: its id does not resolve yet, a set number of times. */
export function checkNodeVisible(pull: PullState): void {
  if (pull.lagRemaining > 0) {
    pull.lagRemaining--;
    throw new DomainError(422, 'NOT_FOUND', `Could not resolve to a node with the global id of '${pull.nodeId}'.`);
  }
}
