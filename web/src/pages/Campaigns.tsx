import { PageTitle } from "../components/States.tsx";

export function CampaignsPage() {
  return <PageTitle>Campaigns</PageTitle>;
}
