package expression

import (
	"errors"
	"strings"
)

func asSyntaxError(err error, se **SyntaxError) bool { return errors.As(err, se) }

func equalFoldStr(a, b string) bool { return strings.EqualFold(a, b) }
