/** The job summary of wait-for-argo-sync: one row per application (linked to the Argo CD UI), then the analysis. */
import { renderAnalysisReport, type AnalysisResult } from '../../lib/analysis/index.ts';
import type { WaitResult } from '../../lib/argocd/wait.ts';
import { markdownTable } from '../../lib/report.ts';

const ICONS: Record<string, string> = { healthy: '✅', suspended: '⏸️', degraded: '❌', failed: '❌', timeout: '⌛' };

/** Markdown link text: brackets would end it. */
function linkText(text: string): string {
  return text.replace(/[[\]]/g, (c) => `\\${c}`);
}

export function waitSummary(waited: WaitResult, analysis: AnalysisResult | undefined, analysisFailure?: string): string {
  const rows = waited.apps.map((app) => [
    `[${linkText(app.name)}](${app.url})`,
    app.sync,
    app.health,
    app.revision === undefined ? '—' : `\`${app.revision.slice(0, 12)}\``,
    app.operationPhase ?? '—',
    app.unhealthy.length > 0 ? app.unhealthy.join('\n') : app.state === 'ready' ? '' : app.detail,
  ]);
  const parts = [
    `### wait-for-argo-sync: ${ICONS[waited.result] ?? ''} ${waited.result} in ${(waited.durationMs / 1000).toFixed(1)} s`,
    '',
    ...(waited.failure === undefined ? [] : [waited.failure, '']),
    markdownTable(['Application', 'Sync', 'Health', 'Revision', 'Operation', 'Unhealthy resources / state'], rows),
    '',
    `Argo CD requests: ${waited.requests.gets} reads, ${waited.requests.syncs} syncs, ${waited.requests.streams} watch stream${waited.requests.streams === 1 ? '' : 's'}.`,
  ];
  if (analysis !== undefined) parts.push('', renderAnalysisReport(analysis));
  else if (analysisFailure !== undefined) parts.push('', `### Post-deployment analysis: ❌ failed`, '', analysisFailure);
  return `${parts.join('\n')}\n`;
}
