import { PageTitle } from "../components/States.tsx";

export function SearchPage() {
  return <PageTitle>Search</PageTitle>;
}
