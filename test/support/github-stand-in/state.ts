/**
 * What the stand-in remembers besides git: tokens, users, repositories with their settings, pull requests, labels,
 * milestones, comments and reviews. Branches and commits are not here: they live in each repository's bare git
 * repository (GitStore) and are read from it on every request, so a `git push` into it is seen at once.
 */
import { GitStore, type Identity } from './git-store.ts';

/** Repository permissions, and `members` (the organisation's "Members" permission, which reading teams needs). */
export type Permission = 'contents' | 'pull-requests' | 'issues' | 'workflows' | 'metadata' | 'deployments' | 'statuses' | 'members';
export type Access = 'none' | 'read' | 'write';

export interface TokenConfig {
  readonly token: string;
  /** Who the token acts as; `github-actions[bot]` for the workflow's GITHUB_TOKEN. */
  readonly login?: string;
  /**
   * A GitHub App / GITHUB_TOKEN permission set (`contents: write` ...): anything not listed is `read` for metadata,
   * contents, pull-requests and issues, `none` for the others. Leave it out for a personal access token with the
   * `repo` scope, which may do everything (workflows included).
   */
  readonly permissions?: Partial<Record<Permission, Access>>;
}

export interface TokenState {
  readonly token: string;
  readonly login: string;
  readonly type: 'Bot' | 'User';
  readonly permissions: Partial<Record<Permission, Access>> | undefined;
  /** The workflow's GITHUB_TOKEN: bound by "Allow GitHub Actions to create and approve pull requests". */
  readonly isActions: boolean;
}

export interface RepoSettings {
  /** `allow_auto_merge` (GitHub's default: false). */
  allowAutoMerge: boolean;
  /**
   * "Allow GitHub Actions to create and approve pull requests". GitHub's default is false; the stand-in's is true so
   * that tests not about it need not set it. Set it false to get GitHub's 403.
   */
  actionsCanCreatePullRequests: boolean;
  /** Branches whose changes must go through a merge queue. */
  mergeQueueBranches: string[];
  /** Branches that refuse direct writes (API commits, ref updates and deletes). */
  protectedBranches: string[];
  /** Approving reviews a PR into that base needs before it is mergeable (mergeStateStatus BLOCKED until then). */
  requiredApprovals: Record<string, number>;
  /** Status-check contexts a PR into that base needs (mergeStateStatus BLOCKED: checks never run in the stand-in). */
  requiredChecks: Record<string, string[]>;
  deleteBranchOnMerge: boolean;
  allowMergeCommit: boolean;
  allowSquashMerge: boolean;
  allowRebaseMerge: boolean;
  /** Logins that may be requested as reviewers or assigned; undefined: anyone. */
  collaborators: string[] | undefined;
  /** Team slugs of the owner organisation. */
  teams: string[];
  private: boolean;
}

export function defaultSettings(): RepoSettings {
  return {
    allowAutoMerge: false,
    actionsCanCreatePullRequests: true,
    mergeQueueBranches: [],
    protectedBranches: [],
    requiredApprovals: {},
    requiredChecks: {},
    deleteBranchOnMerge: false,
    allowMergeCommit: true,
    allowSquashMerge: true,
    allowRebaseMerge: true,
    collaborators: undefined,
    teams: [],
    private: true,
  };
}

export interface LabelState {
  readonly id: number;
  readonly nodeId: string;
  name: string;
  color: string;
  description: string | null;
}

export interface MilestoneState {
  readonly id: number;
  readonly nodeId: string;
  readonly number: number;
  title: string;
  state: 'open' | 'closed';
  description: string | null;
  readonly createdAt: string;
}

export interface CommentState {
  readonly id: number;
  readonly nodeId: string;
  readonly issueNumber: number;
  readonly user: string;
  body: string;
  readonly createdAt: string;
}

export type ReviewStateName = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

export interface ReviewState {
  readonly id: number;
  readonly nodeId: string;
  readonly user: string;
  readonly state: ReviewStateName;
  readonly body: string;
  readonly commitId: string;
  readonly submittedAt: string;
}

export type MergeMethod = 'MERGE' | 'SQUASH' | 'REBASE';

export interface AutoMergeState {
  readonly method: MergeMethod;
  readonly enabledBy: string;
  readonly enabledAt: string;
  readonly commitHeadline: string | null;
  readonly commitBody: string | null;
  readonly authorEmail: string | null;
}

export interface PullState {
  readonly number: number;
  readonly id: number;
  readonly nodeId: string;
  readonly user: string;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  draft: boolean;
  /** Head branch name (in the same repository: the stand-in has no forks). */
  readonly head: string;
  base: string;
  /** The head commit when the PR was closed or its branch deleted (GitHub keeps showing it). */
  headShaWhenGone: string | null;
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Label names, in the order they were added. */
  labels: string[];
  assignees: string[];
  requestedReviewers: string[];
  requestedTeams: string[];
  reviews: ReviewState[];
  milestone: number | null;
  autoMerge: AutoMergeState | null;
  inMergeQueue: boolean;
  maintainerCanModify: boolean;
  /** A test's override of the computed mergeStateStatus (CLEAN, BLOCKED, BEHIND, DIRTY, UNSTABLE, HAS_HOOKS, UNKNOWN). */
  mergeStateOverride: string | null;
  /** Not yet visible to node lookups (the eventual-consistency 422), this many more times. */
  lagRemaining: number;
}

export interface RepoState {
  readonly id: number;
  readonly nodeId: string;
  readonly owner: string;
  readonly name: string;
  readonly fullName: string;
  readonly git: GitStore;
  defaultBranch: string;
  readonly settings: RepoSettings;
  readonly labels: Map<string, LabelState>;
  readonly milestones: MilestoneState[];
  readonly pulls: Map<number, PullState>;
  readonly comments: CommentState[];
  nextNumber: number;
  readonly createdAt: string;
}

/** Node ids look like GitHub's (`PR_kwDO…`) and resolve back to what they name. */
export type NodeTarget =
  | { kind: 'repository'; repo: RepoState }
  | { kind: 'pull'; repo: RepoState; number: number }
  | { kind: 'label'; repo: RepoState; name: string }
  | { kind: 'milestone'; repo: RepoState; number: number }
  | { kind: 'user'; login: string }
  | { kind: 'commit'; repo: RepoState; oid: string }
  | { kind: 'ref'; repo: RepoState; ref: string };

export interface UserState {
  readonly id: number;
  readonly nodeId: string;
  readonly login: string;
  readonly type: 'Bot' | 'User' | 'Organization';
}

const ACTIONS_LOGIN = 'github-actions[bot]';

export class StandInState {
  readonly repos = new Map<string, RepoState>();
  readonly tokens = new Map<string, TokenState>();
  readonly users = new Map<string, UserState>();
  readonly nodes = new Map<string, NodeTarget>();
  private nextId = 1000;

  newId(): number {
    return this.nextId++;
  }

  /** A GitHub-like global id: type prefix, `_kwDO`, then an opaque part. */
  nodeId(prefix: string, id: number, target: NodeTarget): string {
    const opaque = Buffer.from(`standin:${id}`).toString('base64url');
    const nodeId = `${prefix}_kwDO${opaque}`;
    this.nodes.set(nodeId, target);
    return nodeId;
  }

  /** A node id derived from a key (a commit, a ref): the same thing always gets the same id. */
  keyedNodeId(prefix: string, key: string, target: NodeTarget): string {
    const nodeId = `${prefix}_kwDO${Buffer.from(key).toString('base64url')}`;
    this.nodes.set(nodeId, target);
    return nodeId;
  }

  user(login: string, type?: 'Bot' | 'User' | 'Organization'): UserState {
    const key = login.toLowerCase();
    let user = this.users.get(key);
    if (user === undefined) {
      const id = this.newId();
      const resolved = type ?? (login.endsWith('[bot]') ? 'Bot' : 'User');
      user = { id, login, type: resolved, nodeId: this.nodeId(resolved === 'Bot' ? 'BOT' : resolved === 'User' ? 'U' : 'O', id, { kind: 'user', login }) };
      this.users.set(key, user);
    }
    return user;
  }

  addToken(config: TokenConfig): TokenState {
    const login = config.login ?? ACTIONS_LOGIN;
    const state: TokenState = {
      token: config.token,
      login,
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      permissions: config.permissions,
      isActions: login === ACTIONS_LOGIN,
    };
    this.tokens.set(config.token, state);
    this.user(login);
    return state;
  }

  addRepo(fullName: string, gitDir: string, settings: Partial<RepoSettings> = {}, defaultBranch = 'main'): RepoState {
    const [owner, name] = fullName.split('/') as [string, string];
    if (!owner || !name) throw new Error(`repository must be owner/name, got ${fullName}`);
    const id = this.newId();
    const repo: RepoState = {
      id,
      nodeId: '',
      owner,
      name,
      fullName,
      git: new GitStore(gitDir),
      defaultBranch,
      settings: { ...defaultSettings(), ...settings },
      labels: new Map(),
      milestones: [],
      pulls: new Map(),
      comments: [],
      nextNumber: 1,
      createdAt: new Date().toISOString(),
    };
    (repo as { nodeId: string }).nodeId = this.nodeId('R', id, { kind: 'repository', repo });
    this.repos.set(fullName.toLowerCase(), repo);
    this.user(owner, 'Organization');
    return repo;
  }

  repo(owner: string, name: string): RepoState | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  /** The label, created with GitHub's default colour when `create` and missing. */
  label(repo: RepoState, name: string, create = false, color = 'ededed'): LabelState | undefined {
    const key = name.toLowerCase();
    let label = repo.labels.get(key);
    if (label === undefined && create) {
      const id = this.newId();
      label = { id, nodeId: this.nodeId('LA', id, { kind: 'label', repo, name }), name, color, description: null };
      repo.labels.set(key, label);
    }
    return label;
  }

  addMilestone(repo: RepoState, title: string): MilestoneState {
    const id = this.newId();
    const number = repo.milestones.length + 1;
    const milestone: MilestoneState = {
      id,
      nodeId: this.nodeId('MI', id, { kind: 'milestone', repo, number }),
      number,
      title,
      state: 'open',
      description: null,
      createdAt: new Date().toISOString(),
    };
    repo.milestones.push(milestone);
    return milestone;
  }

  /** The identity a token's commits carry (GitHub's noreply address for bots). */
  identity(token: TokenState): Identity {
    const user = this.user(token.login);
    return { name: token.login, email: `${user.id}+${token.login}@users.noreply.github.com` };
  }
}
