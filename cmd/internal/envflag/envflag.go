// Package envflag gives a command's flags their environment twins: each
// reads its variable for the flag's default, so the command line wins
// over the environment.
package envflag

import (
	"os"
	"strconv"
	"time"
)

// String is the variable name's value, or fallback when it is not set.
func String(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return fallback
}

// Int is the variable as a number, or fallback when it is not one.
func Int(name string, fallback int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return fallback
}

// Float is the variable as a number, or fallback when it is not one.
func Float(name string, fallback float64) float64 {
	if f, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return f
	}
	return fallback
}

// Bool is the variable as a boolean ("1", "true"), false otherwise.
func Bool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

// Duration is the variable as a Go duration ("10s"), or fallback.
func Duration(name string, fallback time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return fallback
}
