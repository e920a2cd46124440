import { PageTitle } from "../components/States.tsx";

export function CompanyPage() {
  return <PageTitle>Company</PageTitle>;
}
