// Every GraphQL operation the dashboard sends (only public API, nothing else).

export const TREND = 12;

const STATUS_DECISION = "status { status minimum text }";
const ROLL_UP = `explanation { formula summary result ${STATUS_DECISION}
  children { id name score weight normalisedWeight included excludedBecause } }`;

const CARD = `
  id scorecardId teamId name period asOf closed score status
  ${ROLL_UP}
  perspectives {
    perspectiveId name weight score status
    ${ROLL_UP}
    objectives {
      objectiveId title owner weight score status
      alignedTo { scorecardId objectiveId scorecard }
      ${ROLL_UP}
      kpis {
        id kpiId name unit direction frequency owner weight period
        actual target baseline stretch score status
        explanation { rule formula summary cap capped result ${STATUS_DECISION} }
        trend(last: ${TREND}) { period actual target score status }
      }
    }
  }
  strategyMap {
    nodes { objectiveId title perspectiveId perspectiveName score status
      alignedTo { scorecardId objectiveId scorecard } }
    links { sourceObjectiveId targetObjectiveId }
  }`;

export const WHO = `query Who {
  viewer { organizationId role tokenName }
  organization { name teams { teamId name parentTeamId archived scorecards { id name } } }
}`;

export const SCORECARD = `query Scorecard($id: ID!, $period: String, $asOf: DateTime) {
  scorecard(id: $id, period: $period, asOf: $asOf) { ${CARD} }
}`;

export const SCORECARD_CHANGED = `subscription Live($id: ID!, $period: String) {
  scorecardChanged(id: $id, period: $period, trend: ${TREND}) { ${CARD} }
}`;

export const PARENT_MAP = `query Parent($id: ID!, $period: String, $asOf: DateTime) {
  scorecard(id: $id, period: $period, asOf: $asOf) {
    id scorecardId name
    strategyMap { nodes { objectiveId title perspectiveName score status } }
  }
}`;

export const MOMENTS = `query Moments($id: ID!, $after: String) {
  auditTrail(filter: { scorecardId: $id }, first: 100, after: $after) {
    edges { node { recordedAt } }
    pageInfo { endCursor hasNextPage }
  }
}`;

const PROVENANCE = "actor at reason";

export const KPI_PANEL = `query KpiPanel($kpi: ID!, $scorecard: ID!) {
  kpi(id: $kpi) {
    kpiId name retired
    targets { period effectiveFrom value baseline stretch current
      set { ${PROVENANCE} } ended { ${PROVENANCE} } }
    measurements { measurementId period value notAvailable sourceSystem externalReference
      note supersedes state recorded { ${PROVENANCE} } ended { ${PROVENANCE} } }
  }
  integrity(scorecardId: $scorecard) {
    ok streamsChecked eventsChecked checkedAt
    broken { streamId version eventId position reason }
  }
}`;
