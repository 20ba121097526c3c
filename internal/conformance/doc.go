// Package conformance runs the engine against the external conformance
// corpora in ../shared/conformance (or $ARAZZO_CONFORMANCE_DIR). It holds
// only tests; see each corpus's FORMAT.md for the data formats.
//
// Three harnesses drive the engine through its public façade
// (engine.Open, Document.Run):
//
//   - jentic_test.go: jentic-runner/fixtures/*/test_config.yaml. Each case
//     gets a fresh httptest server; a RoundTripper forwards every step
//     request to it, so the engine builds real URLs from the OpenAPI
//     servers (sources with a relative server URL get engine.WithServer).
//     Mocks are registered per-case > global > auto-generated (the upstream
//     README's intent, not its code), global mocks are keyed by OpenAPI file
//     stem or by the sourceDescription name that loads that file, and
//     matched by method plus path as FORMAT.md §3 describes. Outputs are
//     compared strictly: deep equality after YAML→JSON normalisation, with
//     the flattened-key lookup of §4; a missing output is a failure (upstream
//     skips it). test_data/cases.json adds three end-to-end cases whose
//     sources are served over a fake https.
//   - jaredce_test.go: jaredce/expected.json. Source descriptions on
//     raw.githubusercontent.com are served from the corpus; API calls are
//     answered from the ordered interceptor list (each used `times` times),
//     with nock's query and header rules. Error outcomes are compared by
//     kind (a runner.ErrorKind or a validation error), never by message.
//   - usearazzo_test.go: usearazzo/cases.json. The fixtures are served over
//     a fake http origin, so that their relative server URLs resolve, and
//     opened with engine.WithPerWorkflowValidation (upstream validates
//     each workflow when it runs). A Sender answers request N with
//     harness.responses[min(N, len-1)]; a fake Clock records retry waits
//     (and advances tickMs per request); an AbortSignal is the run's
//     context. The checks run through a path walker over a JSON view of
//     the result; usearazzo_view_test.go maps upstream's aliases and
//     result fields to the engine's, and names the ones without an
//     equivalent.
//
// Skip policy. Each corpus has a skip list, map[string]string{caseID:
// reason}, of cases known to fail, each with the engine gap or the harness
// limitation that explains it. Cases that cannot be expressed at all (JS-API
// features, upstream-skipped tests) are skipped by rule, with a reason. Every
// test prints its skips with t.Log and one summary line on stderr
// ("<corpus>: N passed, M skipped"). A case that fails without being in the
// skip list fails the test (a regression); a case in the skip list that now
// passes also fails the test, so that the list stays honest: delete its
// entry.
package conformance
