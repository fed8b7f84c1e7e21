/** Asks for an ACL token (once per tab); the token goes to session storage only. */
import { useState } from 'preact/hooks';

/** The prompt. */
export function TokenPrompt({
  error,
  onSubmit,
  onSkip,
}: {
  error: string | undefined;
  onSubmit: (token: string) => void;
  onSkip: () => void;
}) {
  const [token, setToken] = useState('');
  return (
    <div class="overlay">
      <form
        class="dialog token-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit(token.trim());
        }}
      >
        <p>
          ACLs are on. Enter a token to see what it may read (and, with write rights, to act). Without one you see what the anonymous policy
          allows.
        </p>
        <input
          class="token-input"
          type="password"
          autocomplete="off"
          placeholder="ACL token (secret ID)"
          value={token}
          onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)}
          aria-label="ACL token"
        />
        {error === undefined ? null : <p class="token-error">{error}</p>}
        <div class="dialog-buttons">
          <button type="submit" class="token-save">
            Use token
          </button>
          <button type="button" class="token-skip" onClick={onSkip}>
            Continue without a token
          </button>
        </div>
      </form>
    </div>
  );
}
