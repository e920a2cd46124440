// Routes, and the sign-in gate: the app shows nothing but the sign-in screen
// until the API accepts us (no token needed on a laptop; see auth.ts).
import { Center, Loader } from "@mantine/core";
import { useMemo, useState } from "react";
import { Navigate, Route, Routes } from "react-router";
import { Provider, useQuery } from "urql";
import { storeToken, storedToken } from "./auth.ts";
import { makeClient } from "./client.ts";
import { graphql } from "./graphql.ts";
import { Layout } from "./Layout.tsx";
import { SignIn } from "./SignIn.tsx";
import { CampaignPage } from "./pages/Campaign.tsx";
import { CampaignsPage } from "./pages/Campaigns.tsx";
import { CompanyPage } from "./pages/Company.tsx";
import { ImportPage } from "./pages/Import.tsx";
import { ImportsPage } from "./pages/Imports.tsx";
import { InstantlyPage } from "./pages/Instantly.tsx";
import { LeadPage } from "./pages/Lead.tsx";
import { LeadsPage } from "./pages/Leads.tsx";
import { NotFoundPage } from "./pages/NotFound.tsx";
import { SearchPage } from "./pages/Search.tsx";
import { ViewerContext, type Viewer } from "./viewer.ts";

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      rowId
      email
      fullName
    }
  }
`);

export function App() {
  const [token, setToken] = useState(storedToken);
  const client = useMemo(() => makeClient(token), [token]);
  const signOut = () => {
    storeToken(null);
    setToken(null);
  };
  const signIn = (newToken: string) => {
    storeToken(newToken);
    setToken(newToken);
  };
  return (
    <Provider value={client}>
      <Gate key={token ?? "anonymous"} token={token} onSignIn={signIn} onSignOut={signOut} />
    </Provider>
  );
}

function Gate({ token, onSignIn, onSignOut }: { token: string | null; onSignIn: (token: string) => void; onSignOut: () => void }) {
  const [{ data, fetching, error }] = useQuery({ query: ViewerQuery, requestPolicy: "network-only" });
  if (fetching && !data)
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  if (error || !data?.viewer) return <SignIn error={token ? error : undefined} onSignIn={onSignIn} />;
  const viewer: Viewer = { ...data.viewer, signedInWithToken: token != null, signOut: onSignOut };
  return (
    <ViewerContext.Provider value={viewer}>
      <Routes>
        <Route element={<Layout />}>
          <Route index element={<Navigate to="/leads" replace />} />
          <Route path="leads" element={<LeadsPage />} />
          <Route path="leads/:leadId" element={<LeadPage />} />
          <Route path="companies/:companyId" element={<CompanyPage />} />
          <Route path="campaigns" element={<CampaignsPage />} />
          <Route path="campaigns/:campaignId" element={<CampaignPage />} />
          <Route path="imports" element={<ImportsPage />} />
          <Route path="imports/:importId" element={<ImportPage />} />
          <Route path="instantly" element={<InstantlyPage />} />
          <Route path="search" element={<SearchPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </ViewerContext.Provider>
  );
}
