// Command flowgd serves a stand-in for FlowG's online backup and restore API
// (see package flowgd) until interrupted.
//
//	go run ./examples/flowgd --addr 127.0.0.1:0 --pat demo-token
//
// It prints "flowgd listening on http://HOST:PORT" once it accepts requests.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/go-arazzo/arazzo/examples/flowgd/flowgd"
	"github.com/go-arazzo/arazzo/examples/internal/serve"
)

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "flowgd:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:5080", "listen address (port 0 picks a free port)")
	dataDir := flag.String("data-dir", "", "directory for auth.db, config.db, logs.db (default: a temporary directory removed on exit)")
	var users, pats listFlag
	flag.Var(&users, "user", "login user as NAME:PASSWORD (repeatable; default admin:admin)")
	flag.Var(&pats, "pat", "personal access token as TOKEN or TOKEN:USER, without the pat_ prefix (repeatable; USER defaults to admin)")
	flag.Parse()

	cfg := flowgd.Config{DataDir: *dataDir}
	if len(users) > 0 {
		cfg.Users = map[string]string{}
		for _, u := range users {
			name, pw, ok := strings.Cut(u, ":")
			if !ok || name == "" {
				return fmt.Errorf("--user %q: want NAME:PASSWORD", u)
			}
			cfg.Users[name] = pw
		}
	}
	if len(pats) > 0 {
		cfg.PersonalAccessTokens = map[string]string{}
		for _, p := range pats {
			tok, user, ok := strings.Cut(p, ":")
			if !ok {
				user = "admin"
			}
			if tok == "" {
				return fmt.Errorf("--pat %q: the token is empty", p)
			}
			cfg.PersonalAccessTokens[tok] = user
		}
	}
	srv, err := flowgd.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	return serve.Run(*addr, srv.Handler(), func(base string) {
		fmt.Printf("flowgd listening on %s\n", base)
		log.Printf("flowgd: data dir %s", srv.DataDir())
	})
}
