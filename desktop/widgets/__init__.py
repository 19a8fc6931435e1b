"""What several views share: the change signal, refresh-when-shown, fitting to the screen, error
sentences, background work, plot export, the last folder and a wrapping layout."""
