// The token the app sends as `Authorization: Bearer`. On a laptop the API
// treats requests without one as the default user, so none is needed there;
// in production the sign-in screen asks for one (from `leadgraph token`).
const KEY = "leadgraph.token";

export function storedToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null) {
  if (token) localStorage.setItem(KEY, token);
  else localStorage.removeItem(KEY);
}

export function authHeaders(token: string | null = storedToken()): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}
