import { useState } from 'preact/hooks';

export function SignIn(props: { onSignIn(token: string): Promise<void>; error: string | undefined }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main class="centered">
      <form
        class="sign-in"
        aria-labelledby="sign-in-title"
        onSubmit={async (event) => {
          event.preventDefault();
          if (!token.trim()) return;
          setBusy(true);
          await props.onSignIn(token.trim());
          setBusy(false);
        }}
      >
        <h1 id="sign-in-title">Media library</h1>
        <p>This server needs an API token. It is kept for this browser tab only.</p>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          aria-describedby={props.error ? 'token-error' : undefined}
          aria-invalid={props.error ? true : undefined}
        />
        {props.error ? (
          <p id="token-error" class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">
          Create one with <code>upload-server token create --name me</code>.
        </p>
      </form>
    </main>
  );
}
