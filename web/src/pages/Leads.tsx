import { PageTitle } from "../components/States.tsx";

export function LeadsPage() {
  return <PageTitle>Leads</PageTitle>;
}
