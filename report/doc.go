// Package report writes what a run did for machines and people, with
// every secret masked:
//
//   - Build and WriteJSON: the versioned JSON run report (Version, schema
//     in RunSchema);
//   - WriteJUnit: JUnit XML for CI test reporters (one testsuite per
//     workflow, one testcase per step);
//   - HARRecorder: every HTTP exchange as HAR 1.2, for browser devtools;
//   - Masker: the one masking component the terminal output and every
//     report share.
//
// docs/reports.md describes the formats.
package report
