//go:build linux

package auth

import "example.com/mono/internal/linuxonly"

func platform() string { return linuxonly.Name }
