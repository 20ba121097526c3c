// Package workflows holds ready-to-run Arazzo workflows (arazzo/) and the
// OpenAPI descriptions they call (openapi/). It has no Go API: its tests run
// each workflow end to end against the local services in examples/ and
// check the real effects on their data.
//
// The workflows, and the service each runs against:
//
//   - prisma-postgres-backup-and-restore: the published seed workflow, as
//     published (examples/backupd).
//   - prisma-postgres-backup-and-restore-robust: the same flow, polling with
//     retry and failing clearly (examples/backupd).
//   - prisma-restore-latest: restore the newest completed backup with the
//     real Prisma API's restoreDatabase, then wait until the database is
//     ready (examples/backupd).
//   - azure-postgres-restore: restore an Azure Database for PostgreSQL
//     recovery point as files, following the Azure-AsyncOperation of each
//     long-running operation and the restore job (examples/azurebackup).
//   - flowg-backup-restore: download FlowG's three binary snapshots and
//     restore them by multipart upload, with a login or a personal access
//     token (examples/flowgd).
//   - safe-migration: a verified, labelled safety backup (json or pg_dump)
//     before a migration, restored when the migration fails
//     (examples/backupd).
package workflows
