/** The job summary of a registration: model, version (linked to the registry's UI), URI, alias and tags. */
import { markdownTable } from '../../lib/report.ts';
import type { CommitFact } from './plan.ts';
import type { RegistrationResult } from './register.ts';

export interface SummaryFacts {
  result: RegistrationResult;
  modelUri: string;
  registryLocation: string;
  /** The version's page in the registry UI (MLflow), when there is one. */
  versionUrl: string | undefined;
  /** The version's JSON file (file registry), when there is one. */
  versionFile: string | undefined;
  stage: string | undefined;
  /** The commit of the idempotency key and where it came from; undefined when an existing version was aliased. */
  commit?: CommitFact | undefined;
  /** The `version` input pointed the alias at an existing version; nothing was registered. */
  existing?: boolean;
}

export function registrationSummary(facts: SummaryFacts): string {
  const { result } = facts;
  const { version } = result;
  const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;
  const versionCell = facts.versionUrl !== undefined ? `[${version.version}](${facts.versionUrl})` : version.version;
  const rows: string[][] = [
    ['Model', code(version.name)],
    ['Version', versionCell + (facts.existing === true ? ' (existing; aliased)' : result.created ? ' (new)' : ' (already registered; reused)')],
    ['Model URI', code(facts.modelUri)],
    ['Status', version.status],
    ['Source', code(version.source)],
    ['Alias', result.alias === undefined ? '—' : code(result.alias)],
    ['Registry', facts.versionFile !== undefined ? `file registry, ${code(facts.versionFile)}` : facts.registryLocation],
  ];
  if (facts.stage !== undefined) rows.push(['Stage (legacy)', facts.stage]);
  if (facts.commit !== undefined) {
    rows.push([
      'Commit (idempotency key)',
      facts.commit.commit === undefined ? 'none found: re-runs from any commit reuse this version' : `${code(facts.commit.commit)} from ${facts.commit.origin}`,
    ]);
  }
  const tags = Object.entries(version.tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => [code(key), value]);
  return [
    `### ${facts.existing === true ? 'Aliased' : result.created ? 'Registered' : 'Reused'} ${code(version.name)} version ${version.version}`,
    '',
    markdownTable(['', ''], rows),
    '',
    '#### Tags',
    '',
    tags.length === 0 ? '_none_' : markdownTable(['Tag', 'Value'], tags),
    '',
  ].join('\n');
}
