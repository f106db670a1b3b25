/** Masking of credentials in text that leaves the process (CLI output, git messages). */

/** `text` with every occurrence of each secret replaced by `***`. Empty values are skipped. */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  let masked = text;
  for (const secret of secrets) if (secret !== '') masked = masked.split(secret).join('***');
  return masked;
}
