/**
 * One up-to-date promotion PR per model and environment, whatever ran before or runs at the same time. Read first
 * (one GraphQL request gives the repository, both tips, the open PR, the supersede candidates and the manifest
 * files), then write only what differs: a rerun with identical inputs makes no write at all.
 *
 * The promotion branch always holds exactly one verified commit (GraphQL createCommitOnBranch, optimistic lock on
 * the head) on top of the current base tip. Re-creating it while a PR is open goes through a temporary branch and a
 * forced ref update, because resetting the PR branch to the base tip, even for a moment, leaves GitHub a PR with no
 * commits, which it closes. Expected races (another run created the branch, the commit, or the PR first) re-read and
 * converge; both runs end green with one PR and one commit.
 *
 * `rollback` opens its rollback PR through the same function (`rollbackOf`, `reason`).
 */
import { randomBytes } from 'node:crypto';
import { inputRef, UserError } from '../errors.ts';
import type { EvaluationReport } from '../evaluation-report.ts';
import { reviewRefusalSentence } from '../github/errors.ts';
import { isGitHubActionsLogin, type GitHubClient, type MergeMethod, type PromotionState, type PullRequestInfo } from '../github/index.ts';
import { parseTrailers, TRAILERS } from '../ledger.ts';
import { buildCommitMessage, buildPlan, previousVersion, unifiedDiff, type Plan, type UpdateLine } from '../manifest/index.ts';
import { plural } from '../text.ts';
import { BODY_LIMIT, promotionBody, readMarker, sameBody, type PromotionFacts } from './body.ts';
import { revisionSource, updatePaths } from './source.ts';

/** The label every promotion PR carries (with the body marker, how superseded PRs are found). */
export const TRACKING_LABEL = 'ml-gitops';
export const TRACKING_LABEL_COLOR = '0e8a16';
/** The colour of the labels of the `labels` input that do not exist yet. */
export const LABEL_COLOR = 'bfd4f2';
/** Who the workflow's GITHUB_TOKEN acts as. */
/** Promotion branches ml-gitops made (and may delete when superseded) live under this prefix. */
export const BRANCH_PREFIX = 'ml-gitops/';

export function defaultBranchName(model: string, environment: string): string {
  return `${BRANCH_PREFIX}promote/${model}/${environment}`;
}

export type AutoMergeMode = 'off' | MergeMethod;
export type AutoMergeFallback = 'fail' | 'merge' | 'leave';
export type Operation = 'created' | 'updated' | 'unchanged' | 'closed';
export type AutoMergeOutcome = 'enabled' | 'queued' | 'merged' | 'off';

/** The caller's input names, for sentences. */
export interface PromotionInputNames {
  readonly updates: string;
  readonly headBranch: string;
  readonly base: string;
  readonly branch: string;
  readonly body: string;
  readonly milestone: string;
  readonly autoMerge: string;
  readonly autoMergeFallback: string;
  /** Default `token`, `reviewers`, `team-reviewers`. */
  readonly token?: string;
  readonly reviewers?: string;
  readonly teamReviewers?: string;
}

export type PromotionChange =
  /** Edit the manifests at the base tip and commit them to the promotion branch. */
  | { readonly kind: 'updates'; readonly updates: readonly UpdateLine[]; readonly createMissing: boolean; readonly commitMessage?: string | undefined }
  /** The branch exists already (pushed by bump-manifest, say): only open or update the PR. */
  | { readonly kind: 'head-branch'; readonly branch: string };

export interface PromotionRequest {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly environment: string;
  readonly change: PromotionChange;
  /** Default: the repository's default branch (one more request). */
  readonly base?: string | undefined;
  /** Updates mode: the promotion branch (default `ml-gitops/promote/<model>/<environment>`). */
  readonly branch?: string | undefined;
  readonly title?: string | undefined;
  /** The user's text of a new PR's body (outside the generated section). */
  readonly body?: string | undefined;
  readonly labels?: readonly string[];
  readonly reviewers?: readonly string[];
  readonly teamReviewers?: readonly string[];
  readonly assignees?: readonly string[];
  /** A milestone title, or its number. */
  readonly milestone?: string | undefined;
  readonly draft?: boolean;
  readonly autoMerge?: AutoMergeMode;
  readonly autoMergeFallback?: AutoMergeFallback;
  readonly deleteSupersededBranches?: boolean;
  /** When base already holds every value: delete our branch after closing its PR (default true). */
  readonly deleteBranch?: boolean;
  readonly evaluation?: EvaluationReport | undefined;
  readonly runUrl?: string | undefined;
  /** Rollback PRs: the version taken out of service, and why. */
  readonly rollbackOf?: string | undefined;
  readonly reason?: string | undefined;
  readonly inputs: PromotionInputNames;
  readonly log: { info(message: string): void; warning(message: string): void };
  /** Re-reads after a lost race before giving up (default 5). */
  readonly maxAttempts?: number;
}

export interface PromotionOutcome {
  readonly operation: Operation;
  readonly pullRequest: { readonly number: number; readonly url: string; readonly headSha: string } | undefined;
  readonly branch: string;
  readonly base: string;
  readonly superseded: number[];
  readonly autoMerge: AutoMergeOutcome;
  /** What this run changed, one phrase each (empty when nothing changed). */
  readonly changes: string[];
  readonly warnings: string[];
  readonly diff: string;
  readonly previousVersion: string | undefined;
  readonly plan: Plan | undefined;
  /** The token acts as the workflow's GITHUB_TOKEN: what it creates starts no workflow runs. */
  readonly githubActionsToken: boolean;
}

const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const lacks = (list: readonly string[], name: string): boolean => !list.some((item) => sameName(item, name));

/** The commit message, split as createCommitOnBranch takes it. */
function splitMessage(message: string): { headline: string; body: string } {
  const [headline = '', ...rest] = message.replace(/\s+$/, '').split('\n');
  return { headline, body: rest.join('\n').replace(/^\n+/, '') };
}

/** A PR's head commit is ours when it carries our ledger trailer for this model (a person's push does not). */
function commitIsOurs(message: string | undefined, model: string): boolean {
  if (message === undefined) return false;
  return (parseTrailers(message)[TRAILERS.modelName] ?? []).includes(model);
}

export async function openPromotionPullRequest(gh: GitHubClient, request: PromotionRequest): Promise<PromotionOutcome> {
  const { inputs, log } = request;
  const repoName = `${gh.repository.owner}/${gh.repository.repo}`;
  const changes: string[] = [];
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    log.warning(message);
  };

  const base = request.base ?? (await gh.repositoryInfo()).defaultBranch;
  if (base === undefined) throw new UserError(`${repoName} has no default branch yet; set ${inputRef(inputs.base)}.`, { input: inputs.base });
  const branch = request.change.kind === 'head-branch' ? request.change.branch : (request.branch ?? defaultBranchName(request.modelName, request.environment));
  const branchInput = request.change.kind === 'head-branch' ? inputs.headBranch : inputs.branch;
  if (branch === base) {
    throw new UserError(`The head branch and the base branch are both ${base}: a pull request needs two branches; set ${inputRef(branchInput)} to another branch than ${inputRef(inputs.base)}.`, {
      input: branchInput,
    });
  }
  const paths = request.change.kind === 'updates' ? updatePaths(request.change.updates, inputs.updates) : [];
  const wantedLabels = [TRACKING_LABEL, ...(request.labels ?? []).filter((label) => !sameName(label, TRACKING_LABEL))];
  const maxAttempts = request.maxAttempts ?? 5;

  let state!: PromotionState;
  let plan: Plan | undefined;
  let pull: PullRequestInfo | undefined;
  let headSha: string | undefined;
  let created: { number: number; url: string; id: string } | undefined;
  let milestone: number | undefined;

  for (let attempt = 1; ; attempt++) {
    if (attempt > maxAttempts) {
      throw new UserError(`Other writers kept changing ${branch} of ${repoName} while ${plural(maxAttempts, 'attempt')} tried to update it; run again when they are done.`);
    }
    state = await gh.readPromotionState({ head: branch, base, files: paths, labels: wantedLabels, trackingLabel: TRACKING_LABEL });
    const baseOid = state.baseOid;
    if (baseOid === undefined) {
      throw new UserError(`The base branch ${base} does not exist in ${repoName}: check ${inputRef(inputs.base)}, or create that branch first.`, { input: inputs.base });
    }
    pull = state.pullRequest;
    // Resolved before any write, so an unknown milestone leaves nothing behind.
    milestone = request.milestone === undefined ? undefined : milestoneNumber(request.milestone, state, repoName, inputs.milestone);

    // --- the head commit ---
    if (request.change.kind === 'head-branch') {
      if (state.headOid === undefined) {
        throw new UserError(`The branch ${branch} (${inputRef(inputs.headBranch)}) does not exist in ${repoName}: push it first (bump-manifest with create-branch: true does), or fix the name.`, {
          input: inputs.headBranch,
        });
      }
      headSha = state.headOid;
    } else {
      plan = await buildPlan(revisionSource(state.baseFiles, `${base} of ${repoName}`), request.change.updates, {
        createMissing: request.change.createMissing,
        inputs: { updates: inputs.updates, root: inputs.updates },
      });
      if (!plan.changed) return await alreadyPromoted(gh, request, state, plan, { branch, base, warn, changes, warnings });
      const wanted = plan.files.filter((file) => file.changed);
      const tip = state.headTip;
      const upToDate =
        tip !== undefined && tip.parents.length === 1 && tip.parents[0] === baseOid && wanted.every((file) => state.headFiles.get(file.relativePath) === file.after);
      if (upToDate) {
        headSha = tip.oid;
      } else {
        // Never drop a commit a person pushed to the promotion branch: only our own commits are replaced.
        if (tip !== undefined && tip.oid !== baseOid && !commitIsOurs(tip.message, request.modelName)) {
          throw new UserError(
            `${branch} of ${repoName} ends with commit ${tip.oid.slice(0, 7)}, which ml-gitops did not make, so it will not replace it: merge or close ${pull === undefined ? 'that branch' : `pull request #${pull.number}`} and delete the branch, or set ${inputRef(inputs.branch)} to another branch.`,
            { input: inputs.branch },
          );
        }
        const message = splitMessage(
          buildCommitMessage(plan, request.change.commitMessage, {
            modelName: request.modelName,
            modelVersion: request.modelVersion,
            environment: request.environment,
            workflowRun: request.runUrl,
            rollbackOf: request.rollbackOf,
            reason: request.reason,
          }),
        );
        const additions = wanted.map((file) => ({ path: file.relativePath, contents: file.after }));
        const committed = await commitOnBaseTip(gh, { branch, baseOid, exists: tip !== undefined, tip: tip?.oid, message, additions, log });
        if (committed === undefined) {
          log.info(`Another run moved ${branch} while this one wrote it; reading again (attempt ${attempt + 1}).`);
          continue;
        }
        headSha = committed;
        changes.push(tip === undefined ? `created ${branch} with commit ${committed.slice(0, 7)} on ${base}` : `re-created the commit on ${branch} (${committed.slice(0, 7)}) on the tip of ${base}`);
      }
    }

    // --- the pull request ---
    const facts = promotionFacts(request, { base, branch, plan, state });
    if (pull === undefined) {
      const body = checkedBody(promotionBody(request.body ?? '', facts), request, warn);
      const title = request.title ?? defaultTitle(request);
      const result = await gh.createPullRequest({ head: branch, base, title, body, draft: request.draft ?? false });
      if (result.kind === 'already-exists') {
        log.info(`Another run opened the pull request for ${branch} first; reading it (attempt ${attempt + 1}).`);
        continue;
      }
      if (result.kind === 'no-commits' && request.change.kind === 'updates') {
        // We committed to the branch a moment ago: only a concurrent run can have moved it since. Read again.
        log.info(`${branch} changed while the pull request was being opened; reading it again (attempt ${attempt + 1}).`);
        continue;
      }
      if (result.kind === 'no-commits') {
        throw new UserError(`${branch} has no commit that ${base} lacks (head and base are equal), so there is nothing to open a pull request for: push the change to ${branch} first, or check ${inputRef(branchInput)}.`, {
          input: branchInput,
        });
      }
      created = { number: result.pullRequest.number, url: result.pullRequest.url, id: result.pullRequest.id };
      headSha = result.pullRequest.headSha;
      changes.push(`opened pull request #${created.number}`);
      log.info(`Opened pull request #${created.number}: ${created.url}`);
    }
    break;
  }

  const facts = promotionFacts(request, { base, branch, plan, state });
  const number = created?.number ?? (pull as PullRequestInfo).number;
  const url = created?.url ?? (pull as PullRequestInfo).url;
  const nodeId = created?.id ?? (pull as PullRequestInfo).id;
  const head = headSha as string;

  // --- labels (created with a colour when missing), assignees, milestone, title, body, reviewers ---
  // A refusal from here on (a label the token may not create) fails the step with the PR in the outputs: it exists,
  // and the next run, with the fix, completes it.
  const keep = keepPullRequest({ number, url, headSha: head, branch, operation: () => (created !== undefined ? 'created' : changes.length > 0 ? 'updated' : 'unchanged') });
  for (const label of wantedLabels.filter((name) => lacks(state.existingLabels, name))) {
    const color = sameName(label, TRACKING_LABEL) ? TRACKING_LABEL_COLOR : LABEL_COLOR;
    if (await keep(gh.createLabel(label, color, sameName(label, TRACKING_LABEL) ? 'Promotion pull request managed by ml-gitops' : undefined))) changes.push(`created label ${label}`);
  }
  if (created !== undefined) {
    await keep(gh.updateIssue(created.number, {
      labels: wantedLabels,
      ...(request.assignees?.length ? { assignees: request.assignees } : {}),
      ...(milestone === undefined ? {} : { milestone }),
    }));
    // The token opened the PR, so it is the author: GitHub refuses to ask it for a review.
    const author = state.viewerLogin;
    await requestReviews(gh, request, state, { number, author, users: request.reviewers ?? [], teams: request.teamReviewers ?? [], warn, changes: undefined });
  } else {
    const existing = pull as PullRequestInfo;
    const title = request.title ?? defaultTitle(request);
    const next = checkedBody(promotionBody(existing.body, facts), request, warn);
    const fields = { ...(existing.title !== title ? { title } : {}), ...(sameBody(existing.body, next) ? {} : { body: next }) };
    if (Object.keys(fields).length > 0) {
      await gh.updatePullRequest(number, fields);
      changes.push(`updated the ${Object.keys(fields).join(' and ')} of #${number}`);
    }
    const addLabels = wantedLabels.filter((label) => lacks(existing.labels, label));
    if (addLabels.length > 0) {
      await keep(gh.addLabels(number, addLabels));
      changes.push(`added ${plural(addLabels.length, 'label')} ${addLabels.join(', ')}`);
    }
    const addAssignees = (request.assignees ?? []).filter((login) => lacks(existing.assignees, login));
    if (addAssignees.length > 0) {
      await gh.addAssignees(number, addAssignees);
      changes.push(`assigned ${addAssignees.join(', ')}`);
    }
    if (milestone !== undefined && existing.milestone?.number !== milestone) {
      await gh.setMilestone(number, milestone);
      changes.push(`set the milestone`);
    }
    // A review already given is never re-requested: requesting it again would reset it to "pending" for the reviewer.
    const reviewed = existing.latestReviews.map((review) => review.login);
    const users = (request.reviewers ?? []).filter((login) => lacks(existing.requestedReviewers, login) && lacks(reviewed, login));
    const teams = (request.teamReviewers ?? []).filter((slug) => lacks(existing.requestedTeams, slug));
    await requestReviews(gh, request, state, { number, author: existing.author, users, teams, warn, changes });
    if (request.draft !== undefined && request.draft !== existing.isDraft) {
      await gh.setDraft(existing.id, request.draft);
      changes.push(request.draft ? `converted #${number} to a draft` : `marked #${number} ready for review`);
    }
  }

  // --- supersede older promotions of the same model and environment ---
  const superseded = await supersede(gh, request, state, { number, branch, warn, changes });

  // --- auto-merge ---
  const autoMerge = await armAutoMerge(gh, request, state, { number, url, nodeId, headSha: head, fresh: created !== undefined || changes.length > 0, repoName, warn, changes, branch, base });

  const operation: Operation = created !== undefined ? 'created' : changes.length > 0 ? 'updated' : 'unchanged';
  return {
    operation,
    pullRequest: { number, url, headSha: autoMerge.mergedSha ?? head },
    branch,
    base,
    superseded,
    autoMerge: autoMerge.outcome,
    changes,
    warnings,
    diff: plan === undefined ? '' : unifiedDiff(plan),
    previousVersion: facts.previousVersion,
    plan,
    githubActionsToken: isGitHubActionsLogin(state.viewerLogin),
  };
}

function defaultTitle(request: PromotionRequest): string {
  return request.rollbackOf === undefined
    ? `Promote ${request.modelName} ${request.modelVersion} to ${request.environment}`
    : `Roll back ${request.modelName} from ${request.rollbackOf} to ${request.modelVersion} in ${request.environment}`;
}

function promotionFacts(request: PromotionRequest, at: { base: string; branch: string; plan: Plan | undefined; state: PromotionState }): PromotionFacts {
  const previous =
    at.plan !== undefined
      ? previousVersion(at.plan, request.modelVersion)
      : (parseTrailers(at.state.headTip?.message ?? '')[TRAILERS.previousVersion] ?? [])[0];
  return {
    modelName: request.modelName,
    modelVersion: request.modelVersion,
    previousVersion: previous,
    environment: request.environment,
    base: at.base,
    branch: at.branch,
    diff: at.plan === undefined ? undefined : unifiedDiff(at.plan),
    evaluation: request.evaluation,
    runUrl: request.runUrl,
    rollbackOf: request.rollbackOf,
    reason: request.reason,
  };
}

function checkedBody(result: { body: string; truncated: boolean }, request: PromotionRequest, warn: (message: string) => void): string {
  if (result.body.length > BODY_LIMIT) {
    throw new UserError(
      `The pull request body would be ${result.body.length} characters, over GitHub's limit of ${BODY_LIMIT}, even without the diff: shorten ${inputRef(request.inputs.body)} (or the text people added to the pull request).`,
      { input: request.inputs.body },
    );
  }
  if (result.truncated) warn(`The manifest diff is too long for a pull request body; the body shows its beginning and points to the Files changed tab.`);
  return result.body;
}

function milestoneNumber(value: string, state: PromotionState, repoName: string, input: string): number {
  const byTitle = state.milestones.find((milestone) => milestone.title === value);
  if (byTitle !== undefined) return byTitle.number;
  // A number must name an open milestone too: GitHub would refuse it only after the PR exists, as a bare "Validation Failed".
  const byNumber = /^\d+$/.test(value) ? state.milestones.find((milestone) => milestone.number === Number(value)) : undefined;
  if (byNumber !== undefined) return byNumber.number;
  const titles = state.milestones.map((milestone) => `"${milestone.title}"`);
  throw new UserError(
    `${repoName} has no open milestone ${/^\d+$/.test(value) ? `numbered or titled` : 'titled'} "${value}" (${inputRef(input)}); ${titles.length === 0 ? 'it has no open milestone: create it first' : `the open ones are ${titles.join(', ')}`}.`,
    { input },
  );
}

/**
 * One commit holding `additions` on top of `baseOid`, on `branch`. Returns its sha, or undefined when another writer
 * moved a branch in between (the caller re-reads).
 */
async function commitOnBaseTip(
  gh: GitHubClient,
  args: {
    branch: string;
    baseOid: string;
    exists: boolean;
    /** The branch's current tip. */
    tip: string | undefined;
    message: { headline: string; body: string };
    additions: { path: string; contents: string }[];
    log: { info(message: string): void };
  },
): Promise<string | undefined> {
  const commit = async (branch: string): Promise<string | undefined> => {
    const result = await gh.commitFiles({ branch, expectedHeadOid: args.baseOid, message: args.message, additions: args.additions });
    return result.kind === 'committed' ? result.oid : undefined;
  };
  if (!args.exists) {
    const created = await gh.createBranch(args.branch, args.baseOid);
    if (created.kind === 'already-exists') return undefined;
    try {
      return await commit(args.branch);
    } catch (error) {
      // Nothing half-written: a branch without its commit would only confuse the next run and the reviewers.
      await gh.deleteBranch(args.branch).catch(() => false);
      throw error;
    }
  }
  if (args.tip === args.baseOid) return commit(args.branch);
  // Never reset the branch to the base tip, not even for a moment: GitHub closes a PR whose head has no commits, and a
  // concurrent run would open its PR on an empty branch. The commit is made on a scratch branch and swapped in.
  const scratch = `ml-gitops-tmp/${randomBytes(6).toString('hex')}`;
  const made = await gh.createBranch(scratch, args.baseOid);
  if (made.kind === 'already-exists') return undefined;
  try {
    const oid = await commit(scratch);
    if (oid === undefined) return undefined;
    const swapped = await gh.updateBranch(args.branch, oid, { force: true });
    if (swapped.kind !== 'updated') return undefined;
    args.log.info(`Replaced the commit of ${args.branch} with ${oid.slice(0, 7)}, made on the current base tip.`);
    return oid;
  } finally {
    // Never let a failed clean-up hide the error that brought us here.
    await gh.deleteBranch(scratch).catch(() => false);
  }
}

/** The base already holds every value: nothing to promote. Our open PR for it, if any, is closed. */
async function alreadyPromoted(
  gh: GitHubClient,
  request: PromotionRequest,
  state: PromotionState,
  plan: Plan,
  at: { branch: string; base: string; warn: (message: string) => void; changes: string[]; warnings: string[] },
): Promise<PromotionOutcome> {
  const pull = state.pullRequest;
  let operation: Operation = 'unchanged';
  request.log.info(`${at.base} already holds every value of the update lines: there is nothing to promote.`);
  if (pull !== undefined) {
    if (commitIsOurs(pull.headCommit?.message, request.modelName)) {
      await gh.comment(pull.number, `${at.base} already holds ${request.modelName} ${request.modelVersion} for ${request.environment}; closing this promotion, which has nothing left to change.`);
      await gh.closePullRequest(pull.number);
      if ((request.deleteBranch ?? true) && at.branch.startsWith(BRANCH_PREFIX)) await gh.deleteBranch(at.branch);
      at.changes.push(`closed #${pull.number}: ${at.base} already holds the values`);
      operation = 'closed';
    } else {
      at.warn(`Pull request #${pull.number} has commits by someone else, so it is left open although ${at.base} already holds the values.`);
    }
  }
  return {
    operation,
    pullRequest: pull === undefined ? undefined : { number: pull.number, url: pull.url, headSha: pull.headRefOid },
    branch: at.branch,
    base: at.base,
    superseded: [],
    autoMerge: 'off',
    changes: at.changes,
    warnings: at.warnings,
    diff: '',
    previousVersion: undefined,
    plan,
    githubActionsToken: isGitHubActionsLogin(state.viewerLogin),
  };
}

async function supersede(
  gh: GitHubClient,
  request: PromotionRequest,
  state: PromotionState,
  at: { number: number; branch: string; warn: (message: string) => void; changes: string[] },
): Promise<number[]> {
  const closed: number[] = [];
  for (const other of state.tracked) {
    if (other.number === at.number || other.headRefName === at.branch) continue;
    const marker = readMarker(other.body);
    if (marker === undefined || marker.model !== request.modelName || marker.environment !== request.environment) continue;
    if (!commitIsOurs(other.headCommit?.message, request.modelName)) {
      at.warn(
        `Pull request #${other.number} (${other.headRefName}) promotes ${request.modelName} to ${request.environment} too, but someone pushed to it, so it is left open: close it by hand if #${at.number} replaces it.`,
      );
      continue;
    }
    await gh.comment(other.number, `Superseded by #${at.number}.`);
    await gh.closePullRequest(other.number);
    closed.push(other.number);
    at.changes.push(`closed #${other.number} as superseded`);
    if ((request.deleteSupersededBranches ?? true) && other.headRefName.startsWith(BRANCH_PREFIX)) {
      if (await gh.deleteBranch(other.headRefName)) at.changes.push(`deleted branch ${other.headRefName}`);
    }
  }
  return closed;
}

/** Both name the same account (GitHub shows an App's bot `x[bot]` as `x` in some places). */
function isLogin(login: string, other: string | undefined): boolean {
  const bare = (name: string): string => name.replace(/\[bot\]$/i, '');
  return other !== undefined && sameName(bare(login), bare(other));
}

/**
 * Requests the reviews; a reviewer GitHub would refuse is skipped with a warning (a promotion does not fail because
 * one reviewer is the bot itself, or cannot be seen), never silently. Known refusals are not even sent: the author
 * (the token's own login on a PR it opened), and team reviewers with the workflow's GITHUB_TOKEN, which has no
 * organisation permission and can never see a team.
 */
async function requestReviews(
  gh: GitHubClient,
  request: PromotionRequest,
  state: PromotionState,
  at: { number: number; author: string | undefined; users: readonly string[]; teams: readonly string[]; warn: (message: string) => void; changes: string[] | undefined },
): Promise<void> {
  const names = request.inputs;
  const context = {
    repository: `${gh.repository.owner}/${gh.repository.repo}`,
    inputs: { token: names.token ?? 'token', reviewers: names.reviewers ?? 'reviewers', teamReviewers: names.teamReviewers ?? 'team-reviewers' },
  };
  const users = at.users.filter((login) => {
    if (!isLogin(login, at.author)) return true;
    at.warn(`Skipped reviewer ${login}: ${reviewRefusalSentence('review-from-author', login, context)}`);
    return false;
  });
  let teams = at.teams;
  if (teams.length > 0 && isGitHubActionsLogin(state.viewerLogin)) {
    at.warn(`Skipped team reviewers ${teams.join(', ')}: ${reviewRefusalSentence('team-not-visible', teams.join(', '), context)}`);
    teams = [];
  }
  if (users.length + teams.length === 0) return;
  const outcome = await gh.requestReviewers(at.number, { users, teams });
  for (const refused of outcome.refused) at.warn(`Skipped ${refused.team ? 'team reviewer' : 'reviewer'} ${refused.name}: ${refused.sentence}`);
  const requested = [...outcome.requested.users, ...outcome.requested.teams];
  if (requested.length > 0) at.changes?.push(`requested ${requested.join(', ')}`);
}

/** Rethrows a UserError with the PR in its outputs, so a failing step still names the PR it opened or updated. */
function keepPullRequest(pr: { number: number; url: string; headSha: string; branch: string; operation: () => Operation }): <T>(promise: Promise<T>) => Promise<T> {
  return async (promise) => {
    try {
      return await promise;
    } catch (error) {
      if (!(error instanceof UserError) || error.outputs !== undefined) throw error;
      throw new UserError(error.message, {
        ...(error.input === undefined ? {} : { input: error.input }),
        cause: error,
        outputs: { 'pull-request-number': pr.number, 'pull-request-url': pr.url, 'pull-request-head-sha': pr.headSha, operation: pr.operation(), branch: pr.branch },
      });
    }
  };
}

const MERGEABLE_NOW = new Set(['CLEAN', 'HAS_HOOKS', 'UNSTABLE']);

async function armAutoMerge(
  gh: GitHubClient,
  request: PromotionRequest,
  state: PromotionState,
  at: {
    number: number;
    url: string;
    nodeId: string;
    headSha: string;
    fresh: boolean;
    repoName: string;
    branch: string;
    base: string;
    warn: (message: string) => void;
    changes: string[];
  },
): Promise<{ outcome: AutoMergeOutcome; mergedSha?: string }> {
  const mode = request.autoMerge ?? 'off';
  if (mode === 'off') return { outcome: 'off' };
  const method: MergeMethod = mode;
  const pull = state.pullRequest?.number === at.number ? state.pullRequest : undefined;
  const { inputs } = request;

  const fallback = async (reason: string, fix: string): Promise<{ outcome: AutoMergeOutcome; mergedSha?: string }> => {
    const choice = request.autoMergeFallback ?? 'fail';
    if (choice === 'leave') {
      at.warn(`Auto-merge is not on for pull request #${at.number}: ${reason}; it is left open (${inputRef(inputs.autoMergeFallback)} is leave).`);
      return { outcome: 'off' };
    }
    if (choice === 'fail') {
      throw new UserError(
        `Auto-merge cannot be enabled on pull request #${at.number} (${at.url}): ${reason}; ${fix}, or set ${inputRef(inputs.autoMergeFallback)} to merge (merge it now) or leave (leave it open).`,
        {
          input: inputs.autoMerge,
          outputs: { 'pull-request-number': at.number, 'pull-request-url': at.url, 'pull-request-head-sha': at.headSha, branch: at.branch, 'auto-merge': 'off' },
        },
      );
    }
    const merged = await gh.merge({ number: at.number, method, sha: at.headSha });
    if (merged.kind === 'merged') {
      at.changes.push(`merged #${at.number} (${method})`);
      return { outcome: 'merged', mergedSha: at.headSha };
    }
    if (merged.kind === 'requires-merge-queue') {
      await enqueueOrFail();
      return { outcome: 'queued' };
    }
    const why = merged.kind === 'head-moved' ? `${at.branch} moved while merging` : merged.reason;
    throw new UserError(`Pull request #${at.number} (${at.url}) could not be merged directly (${reason}): GitHub says "${why}"; fix that, or set ${inputRef(inputs.autoMergeFallback)} to leave.`, {
      input: inputs.autoMergeFallback,
    });
  };

  const enqueueOrFail = async (): Promise<void> => {
    const queued = await gh.enqueue({ pullRequestId: at.nodeId, expectedHeadOid: at.headSha });
    if (queued.kind === 'stale-head') throw new UserError(`${at.branch} moved while pull request #${at.number} was being added to the merge queue; run again.`);
    at.changes.push(`added #${at.number} to the merge queue of ${at.base}`);
  };

  if (pull?.isInMergeQueue) return { outcome: 'queued' };
  if (state.baseUsesMergeQueue) {
    await enqueueOrFail();
    return { outcome: 'queued' };
  }
  if (pull?.autoMerge !== undefined && pull.autoMerge.method === method) return { outcome: 'enabled' };
  const notAllowed = [`${at.repoName} does not allow auto-merge`, `turn on "Allow auto-merge" in the repository's Settings > General`] as const;
  if (!state.repository.autoMergeAllowed) return fallback(...notAllowed);
  // A PR this run did not touch has a known merge state: already mergeable means no write is needed to say so.
  if (!at.fresh && pull !== undefined && pull.autoMerge === undefined && MERGEABLE_NOW.has(pull.mergeStateStatus)) {
    return fallback(`it is already mergeable (${pull.mergeStateStatus.toLowerCase()} status), so there is nothing to wait for`, 'require a review or a status check on the base branch');
  }
  if (pull?.autoMerge !== undefined) {
    await gh.disableAutoMerge(at.nodeId);
    at.changes.push(`disabled auto-merge (${pull.autoMerge.method})`);
  }
  const result = await gh.enableAutoMerge({ pullRequestId: at.nodeId, method, expectedHeadOid: at.headSha });
  switch (result.kind) {
    case 'enabled':
      at.changes.push(`enabled auto-merge (${method})`);
      return { outcome: 'enabled' };
    case 'not-allowed':
      return fallback(...notAllowed);
    case 'already-mergeable':
      return fallback(`it is already mergeable (${result.status} status), so there is nothing to wait for`, 'require a review or a status check on the base branch');
    case 'stale-head':
      throw new UserError(`${at.branch} moved while auto-merge was being enabled on pull request #${at.number}; run again.`);
  }
}
