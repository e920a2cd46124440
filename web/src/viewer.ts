import { createContext, useContext } from "react";

export interface Viewer {
  rowId: string;
  email: string | null;
  fullName: string | null;
  /** False on a laptop, where the API needs no token. */
  signedInWithToken: boolean;
  signOut(): void;
}

export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error("useViewer outside the signed-in app");
  return viewer;
}
