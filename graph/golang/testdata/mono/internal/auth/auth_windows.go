package auth

import "example.com/mono/internal/winonly"

func platform() string { return winonly.Name }
