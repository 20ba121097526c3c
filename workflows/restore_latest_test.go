package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
	"github.com/go-arazzo/arazzo/runner"
)

const (
	restoreLatestFlow = "arazzo/prisma-restore-latest.arazzo.yaml"
	restoreLatestID   = "restore-latest-backup"
)

// latestScenario makes three backups — an old one, the newest completed
// one and a newer failed one — then changes the data again. It returns the
// rows of the newest completed backup and its id.
func latestScenario(t *testing.T, env *backupdEnv) (map[string][]map[string]any, string) {
	t.Helper()
	if b := env.backup(map[string]any{"label": "old"}); b["status"] != backupd.StatusCompleted {
		t.Fatalf("old backup: %v", b)
	}
	env.exec(`UPDATE customers SET name = 'renamed before the newest backup' WHERE id = 2`,
		`DELETE FROM order_items WHERE id = (SELECT MAX(id) FROM order_items)`)
	want := env.rows()
	newest := env.backup(map[string]any{"label": "newest", "compress": true})
	if newest["status"] != backupd.StatusCompleted {
		t.Fatalf("newest backup: %v", newest)
	}
	env.srv.SetFaults(backupd.Faults{FailNextBackups: 1})
	if b := env.backup(map[string]any{"label": "broken"}); b["status"] != backupd.StatusFailed {
		t.Fatalf("the injected backup failure did not happen: %v", b)
	}
	env.srv.SetFaults(backupd.Faults{})
	env.exec(`UPDATE customers SET name = 'changed after every backup' WHERE id = 1`,
		`DELETE FROM order_items WHERE order_id = (SELECT MIN(id) FROM orders)`,
		`DELETE FROM orders WHERE id = (SELECT MIN(id) FROM orders)`,
		`INSERT INTO customers (email, name, created_at) VALUES ('late@example.com', 'late', '2026-01-01T00:00:00Z')`)
	return want, newest["id"].(string)
}

// Through the CLI, on SQLite: the newest completed backup is restored, not
// the newer failed one nor the older one.
func TestRestoreLatestSQLiteCLI(t *testing.T) {
	// The response delay lets the restore finish before the first poll of
	// the database answers, so the CLI (real clock) rarely waits.
	env := newBackupd(t, backupd.Config{RestoreDelay: 5 * time.Millisecond})
	want, newestID := latestScenario(t, env)
	env.srv.SetFaults(backupd.Faults{ResponseDelay: 100 * time.Millisecond})
	code, rep, stderr := runCLI(t, restoreLatestFlow, "--server", "postgresManagementApi="+env.base(),
		"--input", "apiToken="+env.srv.Token(), "--input", "databaseId="+env.srv.DatabaseID())
	if code != 0 || len(rep.Workflows) != 1 {
		t.Fatalf("exit %d, report %+v, stderr %s", code, rep, stderr)
	}
	out := rep.Workflows[0].Outputs
	if out["backupId"] != newestID || out["restoreStatus"] != backupd.RestoreCompleted || out["databaseStatus"] != "ready" {
		t.Errorf("outputs = %v, want backup %s restored", out, newestID)
	}
	env.checkRows(want, "")
}

func TestRestoreLatestPostgres(t *testing.T) {
	env := newBackupd(t, backupd.Config{DatabaseURL: freshPostgresDB(t), RestoreDelay: 5 * time.Millisecond})
	want, newestID := latestScenario(t, env)
	doc := openDoc(t, restoreLatestFlow, engine.WithServer(prismaSource, env.base()))
	res, err := doc.Run(context.Background(), restoreLatestID, map[string]any{"apiToken": env.srv.Token(), "databaseId": env.srv.DatabaseID()})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Outputs["backupId"] != newestID {
		t.Errorf("restored %v, want %s", res.Outputs["backupId"], newestID)
	}
	env.checkRows(want, "public")
}

// Without a completed backup the workflow ends at the listing and never
// restores.
func TestRestoreLatestWithoutCompletedBackup(t *testing.T) {
	env := newBackupd(t, backupd.Config{Faults: backupd.Faults{FailNextBackups: 1}})
	env.backup(nil)
	doc := openDoc(t, restoreLatestFlow, engine.WithServer(prismaSource, env.base()))
	res, err := doc.Run(context.Background(), restoreLatestID, map[string]any{"apiToken": env.srv.Token(), "databaseId": env.srv.DatabaseID()})
	var se *engine.StepError
	if !errors.As(err, &se) || se.StepID != "findLatestBackup" || se.Kind != runner.KindEnd {
		t.Fatalf("want the workflow to end at findLatestBackup, got %v", err)
	}
	if len(res.Steps) != 1 {
		t.Errorf("steps after the listing ran: %+v", res.Steps)
	}
	if st, d := env.call("GET", "", nil); st != 200 || d["lastRestore"] != nil {
		t.Errorf("a restore happened: %v", d)
	}
}

// A failed restore ends the wait with a clear failure instead of polling on.
func TestRestoreLatestRestoreFails(t *testing.T) {
	env := newBackupd(t, backupd.Config{})
	env.backup(nil)
	env.srv.SetFaults(backupd.Faults{FailNextRestores: 1})
	doc := openDoc(t, restoreLatestFlow, engine.WithServer(prismaSource, env.base()))
	res, err := doc.Run(context.Background(), restoreLatestID, map[string]any{"apiToken": env.srv.Token(), "databaseId": env.srv.DatabaseID()})
	var se *engine.StepError
	if !errors.As(err, &se) || se.StepID != "waitUntilReady" || se.Kind != runner.KindEnd {
		t.Fatalf("want the workflow to end at waitUntilReady, got %v", err)
	}
	if res.Outputs["restoreStatus"] != backupd.RestoreFailed || !strings.Contains(res.Outputs["databaseStatus"].(string), "ready") {
		t.Errorf("outputs = %v", res.Outputs)
	}
}
