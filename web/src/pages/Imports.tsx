import { PageTitle } from "../components/States.tsx";

export function ImportsPage() {
  return <PageTitle>Imports</PageTitle>;
}
