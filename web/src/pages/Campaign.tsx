import { PageTitle } from "../components/States.tsx";

export function CampaignPage() {
  return <PageTitle>Campaign</PageTitle>;
}
