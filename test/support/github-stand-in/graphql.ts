/**
 * GraphQL: every document is validated against GitHub's published schema (`@octokit/graphql-schema`, one copy of
 * `graphql`), its variables coerced with `getVariableValues` (with real checks for GitObjectID and Base64String, which
 * the SDL leaves open), and answered by `execute` with resolvers over the stand-in state, so answers have GitHub's
 * shapes. Errors come back as GitHub sends them: HTTP 200, `data.<field>: null`, `errors: [{type, path, message}]`.
 */
import { readFileSync } from 'node:fs';
import {
  GraphQLError,
  GraphQLScalarType,
  Kind,
  buildSchema,
  execute,
  getOperationAST,
  getVariableValues,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';
import {
  DomainError,
  access,
  checkNodeVisible,
  commitOnBranch,
  mergePull,
  pullFacts,
  requirePermission,
  verifiedCommits,
} from './domain.ts';
import type { Core } from './rest.ts';
import type { LabelState, MergeMethod, MilestoneState, PullState, RepoState, TokenState } from './state.ts';

let cachedSchema: GraphQLSchema | undefined;

/** GitHub's schema, with the scalar checks the SDL cannot express. */
export function githubSchema(): GraphQLSchema {
  if (cachedSchema !== undefined) return cachedSchema;
  // The package exports only its index; schema.graphql sits beside it.
  const sdl = readFileSync(new URL('./schema.graphql', import.meta.resolve('@octokit/graphql-schema')), 'utf8');
  // The published SDL declares two EnterpriseOwnerInfo fields twice; GitHub serves it, so accept it as it is.
  const schema = buildSchema(sdl, { assumeValidSDL: true });
  strictScalar(schema, 'GitObjectID', (value) => /^[0-9a-f]{40}$/.test(value), 'is not a valid Git object ID (40 lowercase hex digits)');
  strictScalar(schema, 'Base64String', (value) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value), 'is not a valid padded Base64 string');
  cachedSchema = schema;
  return schema;
}

function strictScalar(schema: GraphQLSchema, name: string, test: (value: string) => boolean, problem: string): void {
  const type = schema.getType(name);
  if (!(type instanceof GraphQLScalarType)) throw new Error(`schema has no scalar ${name}`);
  const check = (value: unknown): string => {
    if (typeof value !== 'string' || !test(value)) throw new GraphQLError(`${JSON.stringify(value)} ${problem}`);
    return value;
  };
  const mutable = type as unknown as { parseValue: (v: unknown) => unknown; parseLiteral: (node: ValueNode) => unknown };
  mutable.parseValue = check;
  mutable.parseLiteral = (node: ValueNode) => {
    if (node.kind !== Kind.STRING) throw new GraphQLError(`${name} must be a string`);
    return check(node.value);
  };
}

export interface GraphQLOutcome {
  readonly body: { data?: unknown; errors?: unknown[] };
  /** Root fields of the operation, for the request log. */
  readonly fields: string[];
  readonly operation: 'query' | 'mutation' | 'subscription' | 'invalid';
  readonly operationName: string | undefined;
  /** The document or its variables were invalid: GitHub would refuse it. */
  readonly refused: string[];
  /** Errors that are the stand-in's fault (a resolver missing a non-null field ...). */
  readonly bugs: string[];
}

interface Context {
  readonly core: Core;
  readonly token: TokenState;
}

type Args = Record<string, unknown>;

export async function runGraphQL(core: Core, token: TokenState, request: { query?: unknown; variables?: unknown; operationName?: unknown }): Promise<GraphQLOutcome> {
  const schema = githubSchema();
  const refuse = (messages: string[], errors: unknown[]): GraphQLOutcome => ({
    body: { errors },
    fields: [],
    operation: 'invalid',
    operationName: undefined,
    refused: messages,
    bugs: [],
  });
  if (typeof request.query !== 'string') return refuse(['query is missing'], [{ message: 'A query attribute must be specified and must be a string.' }]);
  let document: DocumentNode;
  try {
    document = parse(request.query);
  } catch (error) {
    const e = error as GraphQLError;
    return refuse([e.message], [{ message: e.message, locations: e.locations }]);
  }
  const problems = validate(schema, document);
  if (problems.length > 0) return refuse(problems.map((p) => p.message), problems.map((p) => ({ message: p.message, locations: p.locations, path: p.path })));
  const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
  const operation = getOperationAST(document, operationName);
  if (operation === null || operation === undefined) return refuse(['no operation to run'], [{ message: 'An operation name is required when the document has several operations.' }]);
  const variables = (request.variables ?? {}) as Record<string, unknown>;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors !== undefined) return refuse(coerced.errors.map((e) => e.message), coerced.errors.map((e) => ({ message: e.message, locations: e.locations, extensions: { code: 'variableMismatch' } })));
  const fields = operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
  const context: Context = { core, token };
  const result = await execute({ schema, document, rootValue: rootValue(), contextValue: context, variableValues: variables, operationName });
  const bugs: string[] = [];
  const errors = (result.errors ?? []).map((error) => {
    const original = error.originalError;
    if (original instanceof DomainError) return { type: original.type, path: error.path, locations: error.locations, message: original.message };
    bugs.push(`${error.path?.join('.') ?? ''}: ${error.message}`);
    return { type: 'INTERNAL', path: error.path, locations: error.locations, message: error.message };
  });
  return {
    body: errors.length > 0 ? { data: result.data ?? null, errors } : { data: result.data },
    fields,
    operation: operation.operation,
    operationName: operation.name?.value,
    refused: [],
    bugs,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Nodes: plain objects whose fields are values or resolver functions `(args, context) => value`.
// ---------------------------------------------------------------------------------------------------------------

function memo<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= load());
}

function connection<T>(name: string, items: T[], args: Args): Record<string, unknown> {
  const first = args.first as number | null | undefined;
  const last = args.last as number | null | undefined;
  if ((first === undefined || first === null) && (last === undefined || last === null)) {
    throw new DomainError(422, 'MISSING_PAGINATION_BOUNDARIES', `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`);
  }
  for (const [key, value] of [['first', first], ['last', last]] as const) {
    if (typeof value === 'number' && (value < 0 || value > 100)) {
      throw new DomainError(422, 'EXCESSIVE_PAGINATION', `Requesting ${value} records on the \`${name}\` connection exceeds the \`${key}\` limit of 100 records.`);
    }
  }
  let slice = items;
  if (typeof first === 'number') slice = slice.slice(0, first);
  if (typeof last === 'number') slice = slice.slice(Math.max(0, slice.length - last));
  const start = items.indexOf(slice[0] as T);
  return {
    totalCount: items.length,
    nodes: slice,
    edges: slice.map((node, i) => ({ node, cursor: Buffer.from(`cursor:${start + i}`).toString('base64') })),
    pageInfo: {
      hasNextPage: start + slice.length < items.length,
      hasPreviousPage: start > 0,
      startCursor: slice.length > 0 ? Buffer.from(`cursor:${start}`).toString('base64') : null,
      endCursor: slice.length > 0 ? Buffer.from(`cursor:${start + slice.length - 1}`).toString('base64') : null,
    },
  };
}

function actorNode(core: Core, login: string): Record<string, unknown> {
  const user = core.state.user(login);
  const typename = user.type === 'Bot' ? 'Bot' : user.type === 'Organization' ? 'Organization' : 'User';
  return {
    __typename: typename,
    id: user.nodeId,
    databaseId: user.id,
    login: typename === 'Bot' ? login.replace(/\[bot\]$/, '') : login,
    name: login,
    url: `${core.shapes.html}/${login}`,
    resourcePath: `/${login}`,
    avatarUrl: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
  };
}

/** `viewer` is a User in the schema; GitHub answers an App token's viewer with the bot's login. */
function viewerNode(core: Core, token: TokenState): Record<string, unknown> {
  return { ...actorNode(core, token.login), __typename: 'User', login: token.login };
}

function labelNode(repo: RepoState, label: LabelState, core: Core): Record<string, unknown> {
  return {
    __typename: 'Label',
    id: label.nodeId,
    name: label.name,
    color: label.color,
    description: label.description,
    isDefault: false,
    url: `${core.shapes.html}/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
  };
}

function milestoneNode(repo: RepoState, milestone: MilestoneState, core: Core): Record<string, unknown> {
  return {
    __typename: 'Milestone',
    id: milestone.nodeId,
    number: milestone.number,
    title: milestone.title,
    state: milestone.state.toUpperCase(),
    description: milestone.description,
    closed: milestone.state === 'closed',
    url: `${core.shapes.html}/${repo.fullName}/milestone/${milestone.number}`,
  };
}

function commitNode(core: Core, repo: RepoState, oid: string): Record<string, unknown> {
  const info = memo(() => repo.git.commit(oid));
  const id = core.state.keyedNodeId('C', `${repo.id}:${oid}`, { kind: 'commit', repo, oid });
  const gitActor = (who: 'author' | 'committer') => async () => {
    const person = (await info())[who];
    const match = /^\d+\+(.+)@users\.noreply\.github\.com$/.exec(person.email);
    return { name: person.name, email: person.email, date: person.date, user: match?.[1] === undefined ? null : actorNode(core, match[1]) };
  };
  return {
    __typename: 'Commit',
    id,
    oid,
    abbreviatedOid: oid.slice(0, 7),
    url: `${core.shapes.html}/${repo.fullName}/commit/${oid}`,
    commitUrl: `${core.shapes.html}/${repo.fullName}/commit/${oid}`,
    resourcePath: `/${repo.fullName}/commit/${oid}`,
    message: async () => (await info()).message.replace(/\n+$/, ''),
    messageHeadline: async () => (await info()).message.split('\n')[0] ?? '',
    messageBody: async () => (await info()).message.split('\n').slice(2).join('\n').replace(/\n+$/, ''),
    committedDate: async () => new Date((await info()).committer.date).toISOString(),
    authoredDate: async () => new Date((await info()).author.date).toISOString(),
    author: gitActor('author'),
    committer: gitActor('committer'),
    signature: () =>
      verifiedCommits.has(oid)
        ? { __typename: 'GpgSignature', isValid: true, state: 'VALID', wasSignedByGitHub: true, signer: actorNode(core, 'web-flow'), email: 'noreply@github.com', payload: '', signature: '' }
        : null,
    tree: async () => ({ __typename: 'Tree', oid: (await info()).tree, id: `T_${(await info()).tree}` }),
    parents: async (args: Args) => connection('parents', (await info()).parents.map((p) => commitNode(core, repo, p)), args),
    repository: () => repositoryNode(core, repo),
  };
}

function refNode(core: Core, repo: RepoState, qualifiedName: string, oid: string): Record<string, unknown> {
  const prefix = qualifiedName.startsWith('refs/heads/') ? 'refs/heads/' : qualifiedName.startsWith('refs/tags/') ? 'refs/tags/' : 'refs/';
  return {
    __typename: 'Ref',
    id: core.state.keyedNodeId('REF', `${repo.id}:${qualifiedName}`, { kind: 'ref', repo, ref: qualifiedName }),
    name: qualifiedName.slice(prefix.length),
    prefix,
    target: () => commitNode(core, repo, oid),
    repository: () => repositoryNode(core, repo),
  };
}

function pullNode(core: Core, repo: RepoState, pull: PullState): Record<string, unknown> {
  const facts = memo(() => pullFacts(repo, pull));
  const html = `${core.shapes.html}/${repo.fullName}/pull/${pull.number}`;
  const branchRef = (branch: string) => async () => {
    const oid = await repo.git.branchHead(branch);
    return oid === undefined ? null : refNode(core, repo, `refs/heads/${branch}`, oid);
  };
  const reviewNode = (review: PullState['reviews'][number]) => ({
    __typename: 'PullRequestReview',
    id: review.nodeId,
    state: review.state,
    body: review.body,
    submittedAt: review.submittedAt,
    author: actorNode(core, review.user),
    commit: commitNode(core, repo, review.commitId),
  });
  const latest = (): PullState['reviews'] => {
    const byUser = new Map<string, PullState['reviews'][number]>();
    for (const review of pull.reviews) if (review.state !== 'PENDING') byUser.set(review.user.toLowerCase(), review);
    return [...byUser.values()];
  };
  const canWrite = (ctx: Context): boolean => access(ctx.token, 'pull-requests') === 'write';
  return {
    __typename: 'PullRequest',
    id: pull.nodeId,
    databaseId: pull.id,
    number: pull.number,
    url: html,
    permalink: html,
    resourcePath: `/${repo.fullName}/pull/${pull.number}`,
    title: pull.title,
    body: pull.body ?? '',
    bodyText: pull.body ?? '',
    isDraft: pull.draft,
    state: pull.merged ? 'MERGED' : pull.state.toUpperCase(),
    closed: pull.state === 'closed',
    merged: pull.merged,
    locked: false,
    createdAt: pull.createdAt,
    updatedAt: pull.updatedAt,
    closedAt: pull.closedAt,
    mergedAt: pull.mergedAt,
    headRefName: pull.head,
    baseRefName: pull.base,
    headRefOid: async () => (await facts()).headSha,
    baseRefOid: async () => (await facts()).baseSha,
    headRef: branchRef(pull.head),
    baseRef: branchRef(pull.base),
    mergeStateStatus: async () => (await facts()).mergeStateStatus,
    mergeable: async () => (await facts()).mergeable,
    changedFiles: async () => (await facts()).changedFiles,
    additions: 0,
    deletions: 0,
    maintainerCanModify: pull.maintainerCanModify,
    autoMergeRequest:
      pull.autoMerge === null
        ? null
        : {
            __typename: 'AutoMergeRequest',
            enabledAt: pull.autoMerge.enabledAt,
            mergeMethod: pull.autoMerge.method,
            commitHeadline: pull.autoMerge.commitHeadline,
            commitBody: pull.autoMerge.commitBody,
            authorEmail: pull.autoMerge.authorEmail,
            enabledBy: actorNode(core, pull.autoMerge.enabledBy),
            pullRequest: () => pullNode(core, repo, pull),
          },
    isInMergeQueue: pull.inMergeQueue,
    mergeQueueEntry: () => (pull.inMergeQueue ? mergeQueueEntryNode(core, repo, pull) : null),
    viewerCanEnableAutoMerge: (_args: Args, ctx: Context) => repo.settings.allowAutoMerge && pull.state === 'open' && pull.autoMerge === null && canWrite(ctx),
    viewerCanDisableAutoMerge: (_args: Args, ctx: Context) => pull.autoMerge !== null && canWrite(ctx),
    viewerCanMergeAsAdmin: false,
    viewerCanUpdate: (_args: Args, ctx: Context) => canWrite(ctx),
    reviewDecision: () => {
      const states = latest().map((r) => r.state);
      if (states.includes('CHANGES_REQUESTED')) return 'CHANGES_REQUESTED';
      if ((repo.settings.requiredApprovals[pull.base] ?? 0) === 0) return null;
      return states.filter((s) => s === 'APPROVED').length >= (repo.settings.requiredApprovals[pull.base] ?? 0) ? 'APPROVED' : 'REVIEW_REQUIRED';
    },
    labels: (args: Args) =>
      connection('labels', pull.labels.flatMap((name) => {
        const label = repo.labels.get(name.toLowerCase());
        return label === undefined ? [] : [labelNode(repo, label, core)];
      }), args),
    assignees: (args: Args) => connection('assignees', pull.assignees.map((login) => ({ ...actorNode(core, login), __typename: 'User' })), args),
    reviewRequests: (args: Args) =>
      connection(
        'reviewRequests',
        [
          ...pull.requestedReviewers.map((login) => ({ __typename: 'ReviewRequest', id: `RR_${pull.id}_${login}`, asCodeOwner: false, requestedReviewer: actorNode(core, login) })),
          ...pull.requestedTeams.map((slug) => ({
            __typename: 'ReviewRequest',
            id: `RR_${pull.id}_team_${slug}`,
            asCodeOwner: false,
            requestedReviewer: { __typename: 'Team', id: `T_${slug}`, slug, name: slug, combinedSlug: `${repo.owner}/${slug}` },
          })),
        ],
        args,
      ),
    latestReviews: (args: Args) => connection('latestReviews', latest().map(reviewNode), args),
    latestOpinionatedReviews: (args: Args) => connection('latestOpinionatedReviews', latest().filter((r) => r.state !== 'COMMENTED').map(reviewNode), args),
    reviews: (args: Args) => {
      const states = args.states as string[] | undefined | null;
      return connection('reviews', pull.reviews.filter((r) => !states || states.includes(r.state)).map(reviewNode), args);
    },
    milestone: () => {
      const milestone = repo.milestones.find((m) => m.number === pull.milestone);
      return milestone === undefined ? null : milestoneNode(repo, milestone, core);
    },
    commits: async (args: Args) => {
      const { headSha, baseSha } = await facts();
      const oids = pull.merged || !(await repo.git.commitExists(headSha)) ? [] : await repo.git.commitsBetween(baseSha, headSha);
      return connection('commits', oids.map((oid) => ({ __typename: 'PullRequestCommit', id: `PRC_${oid}`, url: `${html}/commits/${oid}`, commit: commitNode(core, repo, oid) })), args);
    },
    comments: (args: Args) =>
      connection('comments', repo.comments.filter((c) => c.issueNumber === pull.number).map((c) => ({ __typename: 'IssueComment', id: c.nodeId, body: c.body, author: actorNode(core, c.user), createdAt: c.createdAt })), args),
    headRepository: () => repositoryNode(core, repo),
    baseRepository: () => repositoryNode(core, repo),
    repository: () => repositoryNode(core, repo),
    headRepositoryOwner: () => actorNode(core, repo.owner),
    author: () => actorNode(core, pull.user),
  };
}

function mergeQueueEntryNode(core: Core, repo: RepoState, pull: PullState): Record<string, unknown> {
  const queued = [...repo.pulls.values()].filter((p) => p.inMergeQueue && p.base === pull.base);
  return {
    __typename: 'MergeQueueEntry',
    id: `MQE_${pull.nodeId}`,
    position: queued.indexOf(pull) + 1,
    state: 'QUEUED',
    enqueuedAt: pull.updatedAt,
    jump: false,
    solo: false,
    estimatedTimeToMerge: null,
    pullRequest: () => pullNode(core, repo, pull),
    headCommit: async () => commitNode(core, repo, (await pullFacts(repo, pull)).headSha),
  };
}

function repositoryNode(core: Core, repo: RepoState): Record<string, unknown> {
  return {
    __typename: 'Repository',
    id: repo.nodeId,
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: repo.fullName,
    url: `${core.shapes.html}/${repo.fullName}`,
    resourcePath: `/${repo.fullName}`,
    owner: () => actorNode(core, repo.owner),
    isPrivate: repo.settings.private,
    isArchived: false,
    isFork: false,
    visibility: repo.settings.private ? 'PRIVATE' : 'PUBLIC',
    autoMergeAllowed: repo.settings.allowAutoMerge,
    mergeCommitAllowed: repo.settings.allowMergeCommit,
    squashMergeAllowed: repo.settings.allowSquashMerge,
    rebaseMergeAllowed: repo.settings.allowRebaseMerge,
    deleteBranchOnMerge: repo.settings.deleteBranchOnMerge,
    viewerPermission: (_args: Args, ctx: Context) => (access(ctx.token, 'contents') === 'write' ? 'WRITE' : 'READ'),
    viewerCanAdminister: false,
    defaultBranchRef: async () => {
      const oid = await repo.git.branchHead(repo.defaultBranch);
      return oid === undefined ? null : refNode(core, repo, `refs/heads/${repo.defaultBranch}`, oid);
    },
    ref: async (args: Args) => {
      const name = String(args.qualifiedName);
      const qualified = name.startsWith('refs/') ? name : `refs/heads/${name}`;
      const oid = await repo.git.resolveRef(qualified);
      return oid === undefined ? null : refNode(core, repo, qualified, oid);
    },
    object: async (args: Args) => {
      const expression = typeof args.expression === 'string' ? args.expression : typeof args.oid === 'string' ? args.oid : '';
      const [rev, ...rest] = expression.split(':');
      const oid = (await repo.git.resolveRef(/^[0-9a-f]{40}$/.test(rev ?? '') ? (rev as string) : `refs/heads/${rev}`)) ?? undefined;
      if (oid === undefined) return null;
      if (rest.length === 0) return commitNode(core, repo, oid);
      const bytes = await repo.git.readFile(oid, rest.join(':'));
      if (bytes === undefined) return null;
      const binary = bytes.includes(0);
      return { __typename: 'Blob', id: `B_${oid}_${rest.join(':')}`, oid, byteSize: bytes.length, isBinary: binary, isTruncated: false, text: binary ? null : bytes.toString('utf8') };
    },
    pullRequest: (args: Args) => {
      const pull = repo.pulls.get(Number(args.number));
      if (pull === undefined) throw new DomainError(404, 'NOT_FOUND', `Could not resolve to a PullRequest with the number of ${String(args.number)}.`);
      return pullNode(core, repo, pull);
    },
    pullRequests: (args: Args) => {
      const states = (args.states as string[] | null | undefined) ?? null;
      const labels = (args.labels as string[] | null | undefined) ?? null;
      const orderBy = args.orderBy as { field: string; direction: string } | null | undefined;
      let pulls = [...repo.pulls.values()];
      if (typeof args.headRefName === 'string') pulls = pulls.filter((p) => p.head === args.headRefName);
      if (typeof args.baseRefName === 'string') pulls = pulls.filter((p) => p.base === args.baseRefName);
      if (states !== null) pulls = pulls.filter((p) => states.includes(p.merged ? 'MERGED' : p.state.toUpperCase()));
      if (labels !== null) pulls = pulls.filter((p) => p.labels.some((l) => labels.some((x) => x.toLowerCase() === l.toLowerCase())));
      if (orderBy?.direction === 'DESC') pulls.reverse();
      return connection('pullRequests', pulls.map((p) => pullNode(core, repo, p)), args);
    },
    mergeQueue: (args: Args) =>
      typeof args.branch === 'string' && repo.settings.mergeQueueBranches.includes(args.branch)
        ? {
            __typename: 'MergeQueue',
            id: core.state.keyedNodeId('MQ', `${repo.id}:${args.branch}`, { kind: 'repository', repo }),
            url: `${core.shapes.html}/${repo.fullName}/queue/${args.branch}`,
            resourcePath: `/${repo.fullName}/queue/${args.branch}`,
            nextEntryEstimatedTimeToMerge: null,
            entries: (entryArgs: Args) =>
              connection('entries', [...repo.pulls.values()].filter((p) => p.inMergeQueue && p.base === args.branch).map((p) => mergeQueueEntryNode(core, repo, p)), entryArgs),
          }
        : null,
    label: (args: Args) => {
      const label = repo.labels.get(String(args.name).toLowerCase());
      return label === undefined ? null : labelNode(repo, label, core);
    },
    labels: (args: Args) => connection('labels', [...repo.labels.values()].map((l) => labelNode(repo, l, core)), args),
    milestones: (args: Args) => connection('milestones', repo.milestones.map((m) => milestoneNode(repo, m, core)), args),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Root: queries and mutations.
// ---------------------------------------------------------------------------------------------------------------

function resolveNode(core: Core, id: string): Record<string, unknown> {
  const target = core.state.nodes.get(id);
  const missing = (): never => {
    throw new DomainError(404, 'NOT_FOUND', `Could not resolve to a node with the global id of '${id}'.`);
  };
  if (target === undefined) return missing();
  switch (target.kind) {
    case 'repository':
      return repositoryNode(core, target.repo);
    case 'pull': {
      const pull = target.repo.pulls.get(target.number) ?? missing();
      checkNodeVisible(pull);
      return pullNode(core, target.repo, pull);
    }
    case 'label': {
      const label = target.repo.labels.get(target.name.toLowerCase()) ?? missing();
      return labelNode(target.repo, label, core);
    }
    case 'milestone': {
      const milestone = target.repo.milestones.find((m) => m.number === target.number) ?? missing();
      return milestoneNode(target.repo, milestone, core);
    }
    case 'user':
      return actorNode(core, target.login);
    case 'commit':
      return commitNode(core, target.repo, target.oid);
    case 'ref':
      return missing();
  }
}

function pullById(core: Core, id: unknown): { repo: RepoState; pull: PullState } {
  const target = core.state.nodes.get(String(id));
  const pull = target?.kind === 'pull' ? target.repo.pulls.get(target.number) : undefined;
  if (target?.kind !== 'pull' || pull === undefined) throw new DomainError(404, 'NOT_FOUND', `Could not resolve to a node with the global id of '${String(id)}'.`);
  checkNodeVisible(pull);
  return { repo: target.repo, pull };
}

/** convertPullRequestToDraft / markPullRequestReadyForReview: the draft state of an open PR (a no-op when it is so already). */
function setDraft(args: Args, ctx: Context, draft: boolean): Record<string, unknown> {
  const input = args.input as { pullRequestId: string; clientMutationId?: string | null };
  requirePermission(ctx.token, 'write', 'pull-requests');
  const { repo, pull } = pullById(ctx.core, input.pullRequestId);
  if (pull.state !== 'open') throw new DomainError(422, 'UNPROCESSABLE', `Pull request #${pull.number} is closed.`);
  if (pull.draft !== draft) {
    pull.draft = draft;
    pull.updatedAt = new Date().toISOString();
  }
  return { clientMutationId: input.clientMutationId ?? null, pullRequest: pullNode(ctx.core, repo, pull) };
}

function rootValue(): Record<string, unknown> {
  return {
    viewer: (_args: Args, ctx: Context) => viewerNode(ctx.core, ctx.token),
    rateLimit: () => ({ __typename: 'RateLimit', limit: 5000, cost: 1, remaining: 4999, used: 1, resetAt: new Date(Date.now() + 3_600_000).toISOString(), nodeCount: 1 }),
    repository: (args: Args, ctx: Context) => {
      const repo = ctx.core.state.repo(String(args.owner), String(args.name));
      if (repo === undefined) throw new DomainError(404, 'NOT_FOUND', `Could not resolve to a Repository with the name '${String(args.owner)}/${String(args.name)}'.`);
      return repositoryNode(ctx.core, repo);
    },
    node: (args: Args, ctx: Context) => resolveNode(ctx.core, String(args.id)),
    nodes: (args: Args, ctx: Context) => (args.ids as string[]).map((id) => resolveNode(ctx.core, id)),

    createCommitOnBranch: async (args: Args, ctx: Context) => {
      const input = args.input as {
        branch: { repositoryNameWithOwner?: string; branchName?: string; id?: string };
        expectedHeadOid: string;
        message: { headline: string; body?: string | null };
        fileChanges?: { additions?: { path: string; contents: string }[] | null; deletions?: { path: string }[] | null } | null;
        clientMutationId?: string | null;
      };
      const nwo = input.branch.repositoryNameWithOwner ?? '';
      const [owner = '', name = ''] = nwo.split('/');
      const repo = ctx.core.state.repo(owner, name);
      if (repo === undefined || input.branch.branchName === undefined) {
        throw new DomainError(404, 'NOT_FOUND', `Could not resolve to a Repository with the name '${nwo}'.`);
      }
      const oid = await commitOnBranch(ctx.core.state, repo, ctx.token, {
        branch: input.branch.branchName,
        expectedHeadOid: input.expectedHeadOid,
        headline: input.message.headline,
        body: input.message.body ?? undefined,
        additions: input.fileChanges?.additions ?? [],
        deletions: input.fileChanges?.deletions ?? [],
      });
      return {
        clientMutationId: input.clientMutationId ?? null,
        commit: commitNode(ctx.core, repo, oid),
        ref: refNode(ctx.core, repo, `refs/heads/${input.branch.branchName}`, oid),
      };
    },

    enablePullRequestAutoMerge: async (args: Args, ctx: Context) => {
      const input = args.input as {
        pullRequestId: string;
        mergeMethod?: MergeMethod | null;
        commitHeadline?: string | null;
        commitBody?: string | null;
        authorEmail?: string | null;
        expectedHeadOid?: string | null;
        clientMutationId?: string | null;
      };
      requirePermission(ctx.token, 'write', 'pull-requests');
      const { repo, pull } = pullById(ctx.core, input.pullRequestId);
      if (!repo.settings.allowAutoMerge) throw new DomainError(422, 'UNPROCESSABLE', 'Auto merge is not allowed for this repository');
      if (pull.state !== 'open') throw new DomainError(422, 'UNPROCESSABLE', "Can't enable auto-merge for this pull request.");
      const facts = await pullFacts(repo, pull);
      if (input.expectedHeadOid && input.expectedHeadOid !== facts.headSha) {
        throw new DomainError(422, 'UNPROCESSABLE', `Expected head OID "${input.expectedHeadOid}" but the pull request head is "${facts.headSha}".`);
      }
      const status = facts.mergeStateStatus;
      if (status === 'CLEAN' || status === 'UNSTABLE' || status === 'HAS_HOOKS') {
        throw new DomainError(422, 'UNPROCESSABLE', `Pull request Pull request is in ${status.toLowerCase().replace('_', ' ')} status`);
      }
      if (status === 'DIRTY') throw new DomainError(422, 'UNPROCESSABLE', "Can't enable auto-merge for this pull request.");
      pull.autoMerge = {
        method: input.mergeMethod ?? 'MERGE',
        enabledBy: ctx.token.login,
        enabledAt: new Date().toISOString(),
        commitHeadline: input.commitHeadline ?? null,
        commitBody: input.commitBody ?? null,
        authorEmail: input.authorEmail ?? null,
      };
      pull.updatedAt = new Date().toISOString();
      return { clientMutationId: input.clientMutationId ?? null, pullRequest: pullNode(ctx.core, repo, pull), actor: actorNode(ctx.core, ctx.token.login) };
    },

    disablePullRequestAutoMerge: (args: Args, ctx: Context) => {
      const input = args.input as { pullRequestId: string; clientMutationId?: string | null };
      requirePermission(ctx.token, 'write', 'pull-requests');
      const { repo, pull } = pullById(ctx.core, input.pullRequestId);
      if (pull.autoMerge === null) throw new DomainError(422, 'UNPROCESSABLE', 'Auto-merge is not enabled for this pull request.');
      pull.autoMerge = null;
      return { clientMutationId: input.clientMutationId ?? null, pullRequest: pullNode(ctx.core, repo, pull), actor: actorNode(ctx.core, ctx.token.login) };
    },

    convertPullRequestToDraft: (args: Args, ctx: Context) => setDraft(args, ctx, true),
    markPullRequestReadyForReview: (args: Args, ctx: Context) => setDraft(args, ctx, false),

    enqueuePullRequest: async (args: Args, ctx: Context) => {
      const input = args.input as { pullRequestId: string; expectedHeadOid?: string | null; jump?: boolean | null; clientMutationId?: string | null };
      requirePermission(ctx.token, 'write', 'contents');
      const { repo, pull } = pullById(ctx.core, input.pullRequestId);
      if (!repo.settings.mergeQueueBranches.includes(pull.base)) throw new DomainError(422, 'UNPROCESSABLE', `The base branch ${pull.base} does not use a merge queue.`);
      if (pull.state !== 'open') throw new DomainError(422, 'UNPROCESSABLE', 'Pull request is not open.');
      const facts = await pullFacts(repo, pull);
      if (input.expectedHeadOid && input.expectedHeadOid !== facts.headSha) {
        throw new DomainError(422, 'UNPROCESSABLE', `Expected head OID "${input.expectedHeadOid}" but the pull request head is "${facts.headSha}".`);
      }
      pull.inMergeQueue = true;
      pull.updatedAt = new Date().toISOString();
      return { clientMutationId: input.clientMutationId ?? null, mergeQueueEntry: mergeQueueEntryNode(ctx.core, repo, pull) };
    },

    mergePullRequest: async (args: Args, ctx: Context) => {
      const input = args.input as {
        pullRequestId: string;
        mergeMethod?: MergeMethod | null;
        expectedHeadOid?: string | null;
        commitHeadline?: string | null;
        commitBody?: string | null;
        clientMutationId?: string | null;
      };
      requirePermission(ctx.token, 'write', 'pull-requests');
      const { repo, pull } = pullById(ctx.core, input.pullRequestId);
      await mergePull(ctx.core.state, repo, pull, ctx.token, {
        method: input.mergeMethod ?? 'MERGE',
        expectedHeadSha: input.expectedHeadOid ?? undefined,
        title: input.commitHeadline ?? undefined,
        message: input.commitBody ?? undefined,
      });
      return { clientMutationId: input.clientMutationId ?? null, pullRequest: pullNode(ctx.core, repo, pull), actor: actorNode(ctx.core, ctx.token.login) };
    },

    addLabelsToLabelable: (args: Args, ctx: Context) => {
      const input = args.input as { labelableId: string; labelIds: string[]; clientMutationId?: string | null };
      requirePermission(ctx.token, 'write', 'issues', 'pull-requests');
      const { repo, pull } = pullById(ctx.core, input.labelableId);
      for (const id of input.labelIds) {
        const target = ctx.core.state.nodes.get(id);
        if (target?.kind !== 'label') throw new DomainError(404, 'NOT_FOUND', `Could not resolve to a node with the global id of '${id}'.`);
        if (!pull.labels.some((l) => l.toLowerCase() === target.name.toLowerCase())) pull.labels.push(target.name);
      }
      return { clientMutationId: input.clientMutationId ?? null, labelable: pullNode(ctx.core, repo, pull) };
    },
  };
}
