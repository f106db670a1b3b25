/** The GraphQL documents of the client (validated against GitHub's schema by the stand-in's tests). */

const REPOSITORY_FIELDS = `
  id nameWithOwner url
  defaultBranchRef { name }
  autoMergeAllowed mergeCommitAllowed squashMergeAllowed rebaseMergeAllowed deleteBranchOnMerge
  viewerPermission`;

export const PULL_REQUEST_FIELDS = `
  id number url title body isDraft state headRefName baseRefName headRefOid mergeStateStatus isInMergeQueue
  autoMergeRequest { enabledAt mergeMethod enabledBy { login } }
  author { login }
  labels(first: 100) { nodes { name } }
  reviewRequests(first: 100) { nodes { requestedReviewer { __typename ... on User { login } ... on Bot { login } ... on Team { slug } } } }
  latestReviews(first: 100) { nodes { state author { login } } }
  assignees(first: 100) { nodes { login } }
  milestone { number title }
  commits(last: 1) {
    totalCount
    nodes { commit { oid message author { name email } committer { email user { login } } signature { isValid } } }
  }`;

export const REPOSITORY_QUERY = `query RepositoryInfo($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) { ${REPOSITORY_FIELDS} }
}`;

export const FIND_PULL_REQUEST_QUERY = `query FindPromotionPullRequest($owner: String!, $name: String!, $head: String!, $base: String!, $headRef: String!, $baseRef: String!) {
  repository(owner: $owner, name: $name) {
    ${REPOSITORY_FIELDS}
    headRef: ref(qualifiedName: $headRef) { target { oid } }
    baseRef: ref(qualifiedName: $baseRef) { target { oid } }
    mergeQueue(branch: $base) { id }
    pullRequests(headRefName: $head, baseRefName: $base, states: [OPEN], first: 5, orderBy: { field: CREATED_AT, direction: DESC }) {
      nodes { ${PULL_REQUEST_FIELDS} }
    }
  }
}`;

export const PULL_REQUESTS_BY_LABEL_QUERY = `query PullRequestsByLabel($owner: String!, $name: String!, $labels: [String!], $base: String) {
  repository(owner: $owner, name: $name) {
    pullRequests(labels: $labels, baseRefName: $base, states: [OPEN], first: 100, orderBy: { field: CREATED_AT, direction: DESC }) {
      nodes { ${PULL_REQUEST_FIELDS} }
    }
  }
}`;

export const CREATE_COMMIT_MUTATION = `mutation CreateCommitOnBranch($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid url } }
}`;

export const ENABLE_AUTO_MERGE_MUTATION = `mutation EnableAutoMerge($input: EnablePullRequestAutoMergeInput!) {
  enablePullRequestAutoMerge(input: $input) { pullRequest { id autoMergeRequest { mergeMethod enabledAt } } }
}`;

export const DISABLE_AUTO_MERGE_MUTATION = `mutation DisableAutoMerge($input: DisablePullRequestAutoMergeInput!) {
  disablePullRequestAutoMerge(input: $input) { pullRequest { id } }
}`;

export const CONVERT_TO_DRAFT_MUTATION = `mutation ConvertToDraft($input: ConvertPullRequestToDraftInput!) {
  convertPullRequestToDraft(input: $input) { pullRequest { id isDraft } }
}`;

export const READY_FOR_REVIEW_MUTATION = `mutation MarkReadyForReview($input: MarkPullRequestReadyForReviewInput!) {
  markPullRequestReadyForReview(input: $input) { pullRequest { id isDraft } }
}`;

export const ENQUEUE_MUTATION = `mutation Enqueue($input: EnqueuePullRequestInput!) {
  enqueuePullRequest(input: $input) { mergeQueueEntry { id position } }
}`;

export const VIEWER_QUERY = `query Viewer { viewer { login } }`;

/** One aliased `object(expression:)` per file, so any number of files cost one request. */
export function readFilesQuery(count: number): string {
  const variables = Array.from({ length: count }, (_, i) => `$e${i}: String!`).join(', ');
  const fields = Array.from({ length: count }, (_, i) => `f${i}: object(expression: $e${i}) { ... on Blob { text isBinary } }`).join('\n    ');
  return `query ReadFiles($owner: String!, $name: String!${count > 0 ? `, ${variables}` : ''}) {
  repository(owner: $owner, name: $name) {
    id
    ${fields}
  }
}`;
}

/**
 * Everything open-promotion-pr needs to decide what to write, in ONE request: who the token is, the repository, both
 * branch tips (the head commit's parents and message), the open PR from head into base, the open PRs carrying the
 * promotion label (supersede candidates), the manifest files at both tips, which labels exist, the open milestones.
 */
export function promotionStateQuery(counts: { files: number; labels: number }): string {
  const fileVariables = Array.from({ length: counts.files }, (_, i) => `$b${i}: String!, $h${i}: String!`);
  const labelVariables = Array.from({ length: counts.labels }, (_, i) => `$l${i}: String!`);
  const extra = [...fileVariables, ...labelVariables].map((v) => `, ${v}`).join('');
  const files = Array.from(
    { length: counts.files },
    (_, i) => `b${i}: object(expression: $b${i}) { ... on Blob { text isBinary } }
    h${i}: object(expression: $h${i}) { ... on Blob { text isBinary } }`,
  ).join('\n    ');
  const labels = Array.from({ length: counts.labels }, (_, i) => `l${i}: label(name: $l${i}) { name }`).join('\n    ');
  return `query PromotionState($owner: String!, $name: String!, $head: String!, $base: String!, $headRef: String!, $baseRef: String!, $tracking: [String!]${extra}) {
  viewer { login }
  repository(owner: $owner, name: $name) {
    ${REPOSITORY_FIELDS}
    headRef: ref(qualifiedName: $headRef) { target { oid ... on Commit { message parents(first: 2) { nodes { oid } } } } }
    baseRef: ref(qualifiedName: $baseRef) { target { oid } }
    mergeQueue(branch: $base) { id }
    pullRequests(headRefName: $head, baseRefName: $base, states: [OPEN], first: 5, orderBy: { field: CREATED_AT, direction: DESC }) {
      nodes { ${PULL_REQUEST_FIELDS} }
    }
    tracked: pullRequests(labels: $tracking, states: [OPEN], first: 50, orderBy: { field: CREATED_AT, direction: DESC }) {
      nodes { ${PULL_REQUEST_FIELDS} }
    }
    milestones(states: [OPEN], first: 100) { nodes { number title } }
    ${files}
    ${labels}
  }
}`;
}
