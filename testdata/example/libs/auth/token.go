package auth

// Token is shared by the api service.
type Token string
