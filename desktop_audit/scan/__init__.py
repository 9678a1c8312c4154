"""Scanner core: sources yield fragments, the detector turns them into safe hits. No Qt here."""
