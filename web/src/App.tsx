// Routes, and the sign-in gate: the app shows nothing but the sign-in screen
// until the API accepts us (no token needed on a laptop; see auth.ts).
import { Center, Loader } from "@mantine/core";
import { Suspense, lazy, useMemo, useState, type ComponentType } from "react";
import { Navigate, Route, Routes } from "react-router";
import { Provider, useQuery } from "urql";
import { storeToken, storedToken } from "./auth.ts";
import { makeClient } from "./client.ts";
import { graphql } from "./graphql.ts";
import { Layout } from "./Layout.tsx";
import { SignIn } from "./SignIn.tsx";
import { Loading } from "./components/States.tsx";
import { ViewerContext, type Viewer } from "./viewer.ts";

// Each page is its own chunk, loaded when first visited: the first page
// downloads only what it shows. The current address's page starts loading at
// once, beside the sign-in check, not after it.
const pages = {
  leads: () => import("./pages/Leads.tsx").then((m) => ({ default: m.LeadsPage })),
  lead: () => import("./pages/Lead.tsx").then((m) => ({ default: m.LeadPage })),
  company: () => import("./pages/Company.tsx").then((m) => ({ default: m.CompanyPage })),
  campaigns: () => import("./pages/Campaigns.tsx").then((m) => ({ default: m.CampaignsPage })),
  campaign: () => import("./pages/Campaign.tsx").then((m) => ({ default: m.CampaignPage })),
  imports: () => import("./pages/Imports.tsx").then((m) => ({ default: m.ImportsPage })),
  import: () => import("./pages/Import.tsx").then((m) => ({ default: m.ImportPage })),
  instantly: () => import("./pages/Instantly.tsx").then((m) => ({ default: m.InstantlyPage })),
  calls: () => import("./pages/Calls.tsx").then((m) => ({ default: m.CallsPage })),
  search: () => import("./pages/Search.tsx").then((m) => ({ default: m.SearchPage })),
  notFound: () => import("./pages/NotFound.tsx").then((m) => ({ default: m.NotFoundPage })),
};
// A page whose chunk has arrived renders at once; only a page still loading
// suspends (React holds a revealed fallback for at least 300 ms).
type PageName = keyof typeof pages;
const loadedPages: Partial<Record<PageName, ComponentType>> = {};
function load(name: PageName) {
  return pages[name]().then((module) => ((loadedPages[name] = module.default), module));
}
function page(name: PageName): ComponentType {
  const Lazy = lazy(() => load(name));
  return function Page() {
    const Loaded = loadedPages[name];
    return Loaded ? <Loaded /> : <Lazy />;
  };
}
const LeadsPage = page("leads");
const LeadPage = page("lead");
const CompanyPage = page("company");
const CampaignsPage = page("campaigns");
const CampaignPage = page("campaign");
const ImportsPage = page("imports");
const ImportPage = page("import");
const InstantlyPage = page("instantly");
const CallsPage = page("calls");
const SearchPage = page("search");
const NotFoundPage = page("notFound");

function preloadCurrentPage() {
  const [first, second] = window.location.pathname.split("/").filter(Boolean);
  const detail: Record<string, PageName> = { leads: "lead", companies: "company", campaigns: "campaign", imports: "import" };
  const name = second ? detail[first ?? ""] : (first ?? "leads");
  if (name && name in pages) void load(name as PageName);
}
preloadCurrentPage();

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
      <Suspense fallback={<Loading />}>
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
            <Route path="calls" element={<CallsPage />} />
            <Route path="search" element={<SearchPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </Suspense>
    </ViewerContext.Provider>
  );
}
