// Scaffold: replaced by the contract tests before this lands.
