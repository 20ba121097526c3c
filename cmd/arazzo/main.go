// Command arazzo validates and runs Arazzo workflows.
//
//	arazzo validate FILE... [--format text|json|github|sarif] [--fail-on error|warning]
//	arazzo run FILE [--workflow ID]... [--input NAME=VALUE]... [--server SOURCE=URL]... [--state PATH] [--report KIND=PATH]...
//	arazzo resume STATE [--input NAME=VALUE]... [--resend-in-doubt]
//	arazzo list FILE
//	arazzo describe FILE WORKFLOW
//	arazzo graph FILE [WORKFLOW] [--format mermaid|dot]
//	arazzo completion bash|zsh|fish|powershell
//	arazzo version
//
// Exit status: 0 success, 1 a workflow failed (run) or the document has
// errors (validate), 2 usage errors, unreadable or invalid documents,
// invalid inputs.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes (part of the CLI contract used by CI pipelines).
const (
	exitOK      = 0
	exitFailed  = 1
	exitInvalid = 2
)

// exitError carries an exit status up to main with an optional message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI with args and returns the exit status; it is main
// without os.Exit, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "arazzo: "+ee.msg)
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags, wrong argument counts.
	fmt.Fprintln(stderr, "arazzo: "+err.Error())
	fmt.Fprintln(stderr, "Run 'arazzo --help' for usage.")
	return exitInvalid
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "arazzo",
		Short:         "Validate and run Arazzo workflows",
		Long:          "arazzo validates Arazzo workflow documents and runs their workflows against real APIs.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newValidateCmd(), newRunCmd(), newListCmd(), newVersionCmd())
	root.AddCommand(newDescribeCmd(), newGraphCmd())
	root.AddCommand(newResumeCmd())
	addPathFlag(root)
	setupCompletion(root)
	return root
}
