package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the command: with
// BACKUPD_RUN_MAIN=1 it runs main instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("BACKUPD_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "--addr", "127.0.0.1:0", "--data-dir", dir, "--token", "cli-token",
		"--backup-delay", "10ms", "--restore-delay", "0s")
	cmd.Env = append(os.Environ(), "BACKUPD_RUN_MAIN=1", "BACKUPD_DATABASE_URL=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			done <- err
			return
		}
		m := regexp.MustCompile(`^backupd listening on (http://127\.0\.0\.1:\d+/v1)\n$`).FindStringSubmatch(line)
		if m == nil {
			t.Errorf("first stdout line %q, want backupd listening on http://127.0.0.1:PORT/v1", line)
			done <- nil
			return
		}
		req, _ := http.NewRequest("POST", m[1]+"/databases/db_demo/backups", nil)
		req.Header.Set("Authorization", "Bearer cli-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err
			return
		}
		var b map[string]any
		json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || b["status"] != "running" {
			t.Errorf("createDatabaseBackup = %d %v", resp.StatusCode, b)
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Error("no listening line within 30s")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Error("did not exit within 10s of SIGTERM")
	}
	if _, err := os.Stat(dir + "/db_demo.sqlite"); err != nil {
		t.Errorf("SQLite file not in --data-dir: %v", err)
	}
}
