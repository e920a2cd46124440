import { PageTitle } from "../components/States.tsx";

export function LeadPage() {
  return <PageTitle>Lead</PageTitle>;
}
