import { PageTitle } from "../components/States.tsx";

export function ImportPage() {
  return <PageTitle>Import</PageTitle>;
}
