/**
 * Secrets out of texts roster writes into error messages: a URL's `token=` query value and the
 * password of `user:password@`. Used wherever a message would quote a URL the caller gave.
 */

/** `text` with every `token=<value>` and `user:<password>@` masked. */
export function redactSecrets(text: string): string {
  return text.replace(/([?&]token=)[^&#\s"]*/gi, '$1<redacted>').replace(/(\/\/[^/@:\s"]*:)[^/@\s"]*@/g, '$1<redacted>@');
}
