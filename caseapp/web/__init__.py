"""HTML blueprints: auth, cases (consultants), and their forms."""
