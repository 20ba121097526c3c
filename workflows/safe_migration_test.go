package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
	"github.com/go-arazzo/arazzo/internal/testutil"
	"github.com/go-arazzo/arazzo/runner"
)

const (
	safeMigrationFlow = "arazzo/safe-migration.arazzo.yaml"
	safeMigrationID   = "migrate-with-safety-backup"
)

// A migration that fails at its third statement, after two applied ones.
var brokenMigration = []any{
	`UPDATE customers SET name = 'migrated'`,
	`DELETE FROM order_items WHERE id IN (SELECT id FROM order_items ORDER BY id LIMIT 5)`,
	`UPDATE no_such_table SET x = 1`,
}

func migrationInputs(env *backupdEnv, statements []any) map[string]any {
	return map[string]any{"apiToken": env.srv.Token(), "databaseId": env.srv.DatabaseID(),
		"label": "pre-v2-migration", "reason": "before major schema changes",
		"migrationName": "v2", "statements": statements}
}

// checkSafetyBackup asserts the safety backup exists with its label,
// reason and retention, and passed verification.
func checkSafetyBackup(t *testing.T, env *backupdEnv, id any, method string) {
	t.Helper()
	s, _ := id.(string)
	if !strings.HasPrefix(s, "backup-") || !strings.HasSuffix(s, "-pre-v2-migration") {
		t.Fatalf("backupId output = %v, want backup-YYYYMMDD-HHMMSS-pre-v2-migration", id)
	}
	st, b := env.call("GET", "/backups/"+s, nil)
	if st != 200 {
		t.Fatalf("the safety backup %s does not exist: %d %v", s, st, b)
	}
	v, _ := b["verification"].(map[string]any)
	if b["status"] != "completed" || b["reason"] != "before major schema changes" || b["retentionDays"] != 90.0 ||
		b["method"] != method || v["status"] != "passed" {
		t.Errorf("safety backup = %v", b)
	}
}

// Through the CLI: the backup is taken and verified, the migration is
// applied, and nothing is restored.
func TestSafeMigrationSucceedsCLI(t *testing.T) {
	env := newBackupd(t, backupd.Config{Faults: backupd.Faults{ResponseDelay: 50 * time.Millisecond}})
	before := env.rows()
	stmts, _ := json.Marshal([]string{`UPDATE products SET price_cents = price_cents * 2`})
	code, rep, stderr := runCLI(t, safeMigrationFlow, "--workflow", safeMigrationID, "--server", "postgresManagementApi="+env.base(),
		"--input", "apiToken="+env.srv.Token(), "--input", "databaseId="+env.srv.DatabaseID(),
		"--input", "label=pre-v2-migration", "--input", "reason=before major schema changes",
		"--input", "migrationName=double prices", "--input", "statements="+string(stmts))
	if code != 0 {
		t.Fatalf("exit %d: %+v %s", code, rep, stderr)
	}
	var out map[string]any
	for _, w := range rep.Workflows {
		if w.WorkflowID == safeMigrationID {
			out = w.Outputs
		}
	}
	if out["migrationStatus"] != backupd.MigrationApplied || out["backupVerification"] != "passed" || out["rollbackStatus"] != nil {
		t.Errorf("outputs = %v", out)
	}
	checkSafetyBackup(t, env, out["backupId"], backupd.MethodJSON)
	after := env.rows()
	for i, p := range after["products"] {
		if p["price_cents"] != 2*before["products"][i]["price_cents"].(int64) {
			t.Errorf("product %v: the migration was not applied", p)
		}
	}
	if !reflect.DeepEqual(before["customers"], after["customers"]) {
		t.Error("customers changed although the migration does not touch them")
	}
	if _, d := env.call("GET", "", nil); d["lastRestore"] != nil {
		t.Errorf("a restore ran after a successful migration: %v", d["lastRestore"])
	}
}

// runFailingMigration runs the broken migration and checks the workflow
// failed because of it, after rolling back.
func runFailingMigration(t *testing.T, env *backupdEnv, method string) *engine.Result {
	t.Helper()
	doc := openDoc(t, safeMigrationFlow, engine.WithServer(prismaSource, env.base()))
	in := migrationInputs(env, brokenMigration)
	in["method"] = method
	res, err := doc.Run(context.Background(), safeMigrationID, in)
	var se *engine.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindEnd || se.StepID != "checkMigration" || !strings.Contains(se.Message, "migrationFailedAndRolledBack") {
		t.Fatalf("want the workflow to end failed at checkMigration after the rollback, got %v", err)
	}
	out := res.Outputs
	if out["migrationStatus"] != backupd.MigrationFailed || out["rollbackStatus"] != backupd.RestoreCompleted ||
		!strings.Contains(out["migrationError"].(string), "statement 3 of 3") {
		t.Errorf("outputs = %v", out)
	}
	checkSafetyBackup(t, env, out["backupId"], method)
	if _, d := env.call("GET", "", nil); d["lastRestore"].(map[string]any)["backupId"] != out["backupId"] {
		t.Errorf("the last restore is not from the safety backup: %v", d["lastRestore"])
	}
	return res
}

// The migration fails part-way; the safety backup is restored and the data
// equals the pre-migration rows.
func TestSafeMigrationFailsAndRollsBack(t *testing.T) {
	env := newBackupd(t, backupd.Config{BackupDelay: 20 * time.Millisecond, RestoreDelay: 10 * time.Millisecond})
	before := env.rows()
	runFailingMigration(t, env, backupd.MethodJSON)
	env.checkRows(before, "")
}

// The pg_dump backup method, on PostgreSQL: the rollback restores with
// pg_restore.
func TestSafeMigrationPgDumpPostgres(t *testing.T) {
	url := freshPostgresDB(t)
	for _, bin := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(bin); err != nil {
			testutil.SkipLoudly(t, "%s not on PATH (install postgresql-client; CI has it): %v", bin, err)
		}
	}
	env := newBackupd(t, backupd.Config{DatabaseURL: url, RestoreDelay: 10 * time.Millisecond})
	before := env.rows()
	runFailingMigration(t, env, backupd.MethodPgDump)
	env.checkRows(before, "public")
}

// A safety backup that fails stops everything: the migration is never
// applied.
func TestSafeMigrationBackupFails(t *testing.T) {
	env := newBackupd(t, backupd.Config{Faults: backupd.Faults{FailNextBackups: 1}})
	before := env.rows()
	doc := openDoc(t, safeMigrationFlow, engine.WithServer(prismaSource, env.base()))
	_, err := doc.Run(context.Background(), safeMigrationID, migrationInputs(env, brokenMigration))
	var se *engine.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindDependency || !strings.Contains(se.Message, "backupFailed") {
		t.Fatalf("want a dependency failure naming backupFailed, got %v", err)
	}
	if _, l := env.call("GET", "/migrations", nil); len(l["data"].([]any)) != 0 {
		t.Errorf("a migration ran without a safety backup: %v", l["data"])
	}
	env.checkRows(before, "")
}
