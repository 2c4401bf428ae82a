/** The token lives in sessionStorage: for this tab only, gone when it closes, never in a cookie or a URL. */
const KEY = 'upload-server:media:token';

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage refused (private mode): the token then lasts as long as the page.
  }
}
