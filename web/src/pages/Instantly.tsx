import { PageTitle } from "../components/States.tsx";

export function InstantlyPage() {
  return <PageTitle>Instantly</PageTitle>;
}
